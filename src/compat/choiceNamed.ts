/**
 * The value `given` names among `values`, compared case-insensitively with each value and with its other names
 * (`otherNames`: a state's 1C name…), or `undefined` when it names none. How every enumeration-like input is read —
 * a setting's choice in web.config or as an option, a job state in a filter or in the dashboard's URL — as 1C compares
 * its enumerations (`attachassembly`, `Активно`, `active`), keeping the canonical value.
 */
export function choiceNamed<V extends string>(
  given: string,
  values: readonly V[],
  otherNames: Readonly<Record<string, readonly string[] | undefined>> = {},
): V | undefined {
  const wanted = given.toLowerCase();
  return values.find((value) =>
    [value, ...(otherNames[value] ?? [])].some((name) => name.toLowerCase() === wanted),
  );
}
