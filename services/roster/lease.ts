/** The job running a preview or an apply lost its lease: another worker has the job, and this one stops. */
export class LeaseLost extends Error {}
