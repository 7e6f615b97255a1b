/** One filter of a list's search form: a labelled select whose first option, `any`, is no filter (""). */
export function FilterSelect<T extends string>(
  { label, name, any, options, selected, labelOf = (o) => o }: {
    label: string;
    name: string;
    /** The no-filter choice's words ("Any mode"); none when the filter always has a value. */
    any?: string;
    options: readonly T[];
    selected: string | undefined;
    labelOf?: (option: T) => string;
  },
) {
  return (
    <label>
      {label}
      <select name={name}>
        {any !== undefined && <option value="">{any}</option>}
        {options.map((o) => <option key={o} value={o} selected={selected === o}>{labelOf(o)}</option>)}
      </select>
    </label>
  );
}
