/** Event and alert ids: UUIDv7, so ids sort by creation time and index well. */
import { v7 as uuidv7 } from 'uuid';

export function newId(): string {
  return uuidv7();
}
