/** The page's words, as its host translated them into the page (src/shared/protocol/pageStrings.ts). */
import { PAGE_STRINGS_ID } from '../shared/protocol/pageStrings';

export { fillIn } from '../shared/protocol/pageStrings';

export function pageStrings<T extends object>(): T {
  const raw = document.getElementById(PAGE_STRINGS_ID)?.dataset.strings;
  return JSON.parse(raw ?? '{}') as T;
}
