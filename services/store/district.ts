import { Calendar, District, School } from "../model.ts";
import { type Db, getEntity, listAll } from "./kv.ts";

export async function getDistrict(db: Db): Promise<District | null> {
  return (await getEntity(db, District, [db.districtId, "district"]))?.value ??
    null;
}

export async function saveDistrict(db: Db, district: District): Promise<void> {
  await db.kv.set([db.districtId, "district"], District.parse(district));
}

export async function saveSchool(db: Db, school: School): Promise<void> {
  await db.kv.set([db.districtId, "school", school.id], School.parse(school));
}

export function listSchools(db: Db): Promise<School[]> {
  return listAll(db, [db.districtId, "school"], School);
}

export async function saveCalendar(db: Db, calendar: Calendar): Promise<void> {
  await db.kv.set(
    [db.districtId, "calendar", calendar.id],
    Calendar.parse(calendar),
  );
}

export async function getCalendar(
  db: Db,
  id: string,
): Promise<Calendar | null> {
  return (await getEntity(db, Calendar, [db.districtId, "calendar", id]))
    ?.value ?? null;
}

export function listCalendars(db: Db): Promise<Calendar[]> {
  return listAll(db, [db.districtId, "calendar"], Calendar);
}
