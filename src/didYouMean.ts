/** `did you mean A or B?` for up to three names one edit (case aside) from `wanted`, else `''`. */
export function didYouMean(wanted: string, names: readonly string[]): string {
  const close = names.filter((name) => oneEditApart(name.toLowerCase(), wanted.toLowerCase())).slice(0, 3);
  return close.length === 0 ? '' : `did you mean ${close.join(' or ')}?`;
}

/**
 * ` (did you mean A?)`, to follow the unknown name `wanted` in a message, or `''` when no name is close: the form
 * every refusal of an unknown key, option, field or attribute takes.
 */
export function typoHint(wanted: string, names: readonly string[]): string {
  const hint = didYouMean(wanted, names);
  return hint === '' ? '' : ` (${hint})`;
}

/** One character inserted, removed, replaced, or two neighbours swapped: the usual typo. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let same = 0;
  while (same < a.length && a[same] === b[same]) same += 1;
  if (a.length === b.length) {
    const swapped =
      a[same] === b[same + 1] && a[same + 1] === b[same] && a.slice(same + 2) === b.slice(same + 2);
    return swapped || a.slice(same + 1) === b.slice(same + 1);
  }
  const [longer, shorter] = a.length > b.length ? [a, b] : [b, a];
  return longer.slice(same + 1) === shorter.slice(same);
}
