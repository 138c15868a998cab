import { StringDecoder } from 'node:string_decoder';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * Reads a Kubernetes list (`{"kind":"PodList","metadata":{…},"items":[{…},…]}`) as its bytes arrive:
 * each item is parsed on its own as soon as its last byte is in, and what is not an item (kind,
 * apiVersion, metadata with the continue token) is kept as a small document with `"items":[]`.
 *
 * Why: a page of 500 pods is megabytes of JSON. Read whole, it is one string in V8's large-object
 * space, garbage after the parse but freed only by a major GC, so a long-running MCP server's memory
 * peaked at several pages' text (bench: 57 of 190 MiB). Item by item, the text is small strings the
 * young generation collects at once.
 *
 * Only the JSON structure is read here (strings, braces, brackets); what is inside an item is
 * JSON.parse's to judge, so a malformed item or document is an error from end() or push().
 */
export class ListItemSplitter {
  private readonly restDecoder = new StringDecoder('utf8');
  private rest = '';
  /** The current item's bytes from earlier chunks (an item split across chunks). */
  private pieces: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Inside the top-level "items" array. */
  private inItems = false;
  /** Inside one item (an object at depth 3: document, items array, item). */
  private inItem = false;

  /** `onItem` gets each item as soon as it is parsed; none is kept here. */
  constructor(private readonly onItem: (item: unknown) => void) {}

  push(chunk: Buffer): void {
    let i = 0;
    let restFrom = this.inItems ? -1 : 0;
    let itemFrom = this.inItem ? 0 : -1;
    // The next backslash at or after i, found once per chunk and moved on only when passed.
    let backslash = chunk.indexOf(BACKSLASH);
    const n = chunk.length;
    while (i < n) {
      if (this.escaped) {
        this.escaped = false;
        i++;
        continue;
      }
      if (this.inString) {
        // Jump to the end of the string: the next quote that no backslash escapes.
        const quote = chunk.indexOf(QUOTE, i);
        if (backslash !== -1 && backslash < i) backslash = chunk.indexOf(BACKSLASH, i);
        if (backslash !== -1 && (quote === -1 || backslash < quote)) {
          this.escaped = true;
          i = backslash + 1;
          backslash = chunk.indexOf(BACKSLASH, i + 1);
          continue;
        }
        if (quote === -1) break;
        this.inString = false;
        i = quote + 1;
        continue;
      }
      const c = chunk[i] as number;
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        this.depth++;
        if (this.depth === 2 && c === OPEN_ARRAY && this.isItemsKey(chunk, restFrom, i)) {
          // The rest keeps "items":[ and, later, the closing ]: the document without its items.
          this.rest += this.restDecoder.write(chunk.subarray(restFrom, i + 1));
          restFrom = -1;
          this.inItems = true;
        } else if (this.inItems && this.depth === 3) {
          this.inItem = true;
          itemFrom = i;
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.depth--;
        if (this.inItem && this.depth === 2) {
          this.finishItem(chunk, itemFrom, i + 1);
          this.inItem = false;
          itemFrom = -1;
        } else if (this.inItems && this.depth === 1) {
          this.inItems = false;
          restFrom = i;
        }
      }
      i++;
    }
    if (restFrom !== -1) this.rest += this.restDecoder.write(chunk.subarray(restFrom));
    if (itemFrom !== -1) this.pieces.push(chunk.subarray(itemFrom));
  }

  /** The rest of the document (kind, metadata, `"items":[]`); throws when the bytes were not a whole JSON document. */
  end(): Record<string, unknown> {
    this.rest += this.restDecoder.end();
    if (this.depth !== 0 || this.inString || this.inItem) throw new SyntaxError('the JSON document ended early');
    const rest = JSON.parse(this.rest) as unknown;
    if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) throw new SyntaxError('not a JSON object');
    return rest as Record<string, unknown>;
  }

  private finishItem(chunk: Buffer, from: number, to: number): void {
    let text: string;
    if (this.pieces.length) {
      this.pieces.push(chunk.subarray(0, to));
      text = Buffer.concat(this.pieces).toString('utf8');
      this.pieces = [];
    } else {
      text = chunk.toString('utf8', from, to);
    }
    this.onItem(JSON.parse(text));
  }

  /** Whether the array opening at `at` (depth 1 → 2) is the value of the key "items": the rest so far ends with `"items":`. */
  private isItemsKey(chunk: Buffer, restFrom: number, at: number): boolean {
    const tail = (this.rest.slice(-32) + (restFrom === -1 ? '' : chunk.toString('latin1', Math.max(restFrom, at - 32), at))).trimEnd();
    return /"items"\s*:$/.test(tail);
  }
}
