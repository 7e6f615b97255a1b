/** The island registry: server and browser both name islands from here. */
import AutoRefresh from "./AutoRefresh.tsx";
import CopyButton from "./CopyButton.tsx";
import EmailEditor from "./EmailEditor.tsx";
import SegmentCounter from "./SegmentCounter.tsx";

export const islands = { AutoRefresh, CopyButton, EmailEditor, SegmentCounter } as const;
export type IslandName = keyof typeof islands;
