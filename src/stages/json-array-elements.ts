/**
 * Splits a JSON array, streamed in text chunks, into the source text of each top-level element — without parsing
 * the elements (the caller JSON.parses each one). A small state machine over characters: strings with their
 * escapes, and a stack of open brackets, so an element ends exactly where its own brackets close.
 *
 * Every element completed before a syntax error is yielded before the error is thrown: an array broken at element
 * 1,001 still delivers the first 1,000. (Parsing with a token stream lost the elements still buffered inside it when
 * the error came.) Memory: the current element's text (at most `maxElementChars`, then only its length), plus the
 * chunk being scanned.
 *
 * Errors (JsonArrayBroken, thrown after the complete elements): the text does not start with `[`; a closing bracket
 * that does not match the open one; anything but `,` or `]` after an element; an empty element (`[1,,2]`, `[1,]`);
 * anything but whitespace after the final `]`; the end of the input before it.
 */

export interface ArrayElement {
  /** 1-based position in the array. */
  readonly index: number;
  /** The element's JSON text, or undefined when it was longer than `maxElementChars` (`length` says how long). */
  readonly text: string | undefined;
  readonly length: number;
}

export class JsonArrayBroken extends Error {
  /** Elements completed before the break. */
  readonly elements: number;
  /** Characters read before the break (0-based offset of the offending character). */
  readonly offset: number;
  constructor(message: string, elements: number, offset: number) {
    super(message);
    this.name = 'JsonArrayBroken';
    this.elements = elements;
    this.offset = offset;
  }
}

const OPEN_TO_CLOSE: Readonly<Record<string, string>> = { '{': '}', '[': ']' };
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\ufeff']);
const STRING_STOP = /["\\]/g;

/** `first`: after `[`; `next`: after a comma; `between`: after an element. */
type State = 'start' | 'first' | 'next' | 'element' | 'between' | 'end';

export async function* jsonArrayElements(
  chunks: AsyncIterable<string>,
  maxElementChars = Number.POSITIVE_INFINITY,
): AsyncGenerator<ArrayElement> {
  let state: State = 'start';
  let offset = 0; // characters before the current chunk
  let count = 0;
  // The element being read: its pieces (until it grows past the cap), its length, open brackets, string state.
  let pieces: string[] = [];
  let length = 0;
  const open: string[] = [];
  let inString = false;
  let escaped = false;
  const broken = (message: string, at: number) => new JsonArrayBroken(message, count, at);

  for await (const chunk of chunks) {
    let i = 0;
    let elementStart = 0;
    /** Adds the element's text in this chunk up to `end`. */
    const take = (end: number) => {
      length += end - elementStart;
      if (length <= maxElementChars) pieces.push(chunk.slice(elementStart, end));
      else pieces = [];
      elementStart = end;
    };
    const finish = (end: number): ArrayElement => {
      take(end);
      count++;
      const element = { index: count, text: length <= maxElementChars ? pieces.join('') : undefined, length };
      pieces = [];
      length = 0;
      state = 'between';
      return element;
    };
    while (i < chunk.length) {
      const c = chunk[i]!;
      if (state === 'element') {
        if (escaped) {
          escaped = false;
          i++;
        } else if (inString) {
          STRING_STOP.lastIndex = i;
          const stop = STRING_STOP.exec(chunk);
          if (!stop) {
            i = chunk.length;
            continue;
          }
          i = stop.index + 1;
          if (stop[0] === '\\') escaped = true;
          else {
            inString = false;
            if (open.length === 0) yield finish(i); // a string element
          }
        } else if (c === '"') {
          inString = true;
          i++;
        } else if (c === '{' || c === '[') {
          open.push(OPEN_TO_CLOSE[c]!);
          i++;
        } else if (open.length > 0 && (c === '}' || c === ']')) {
          if (open.pop() !== c) throw broken(`unexpected '${c}' in element ${count + 1}`, offset + i);
          i++;
          if (open.length === 0) yield finish(i);
        } else if (open.length === 0 && (c === ',' || c === ']' || c === '}' || WHITESPACE.has(c))) {
          yield finish(i); // the end of a scalar element; `between` judges the character
        } else {
          i++;
        }
        continue;
      }
      if (WHITESPACE.has(c)) {
        i++;
        continue;
      }
      if (state === 'first' || state === 'next') {
        if (c === ']' && state === 'first') state = 'end';
        else if (c === ',' || c === ']') throw broken(`empty element after element ${count}`, offset + i);
        else {
          state = 'element';
          elementStart = i;
          continue; // the element's first character is read as part of it
        }
      } else if ((state as State) === 'between') {
        if (c === ',') state = 'next';
        else if (c === ']') state = 'end';
        else throw broken(`expected ',' or ']' after element ${count}, found '${c}'`, offset + i);
      } else if (state === 'start') {
        if (c !== '[') throw broken('the input is not a JSON array (it must start with [)', offset + i);
        state = 'first';
      } else {
        throw broken(`unexpected '${c}' after the end of the array`, offset + i);
      }
      i++;
    }
    if (state === 'element') take(chunk.length);
    offset += chunk.length;
  }
  if ((state as State) !== 'end') throw broken('the input ended before the array was closed', offset);
}
