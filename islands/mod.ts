/** The island registry: server and browser both name islands from here. */
import AutoRefresh from "./AutoRefresh.tsx";

export const islands = { AutoRefresh } as const;
export type IslandName = keyof typeof islands;
