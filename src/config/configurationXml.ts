import { Parser } from 'xml2js';
import type { BackgroundJobsError } from '../errors';
import { configError } from './configError';

/**
 * An element of web.config as xml2js builds it with `explicitChildren` and `preserveChildrenOrder` (children in
 * document order), and the line its start tag begins on.
 */
export interface XmlElement {
  '#name': string;
  $?: Record<string, string>;
  $$?: XmlElement[];
  /** 1-based line of the element's `<`. */
  line: number;
}

/**
 * Bounds on the XML start-up reads: xml2js spends tens of microseconds and a few hundred bytes on each element, so
 * a file of millions of tiny elements would take minutes and gigabytes. Real web.config files nest a few levels.
 */
export const XML_LIMITS = { elements: 50_000, depth: 64 } as const;

/**
 * What is read of the sax parser under xml2js (`parser.saxParser`, which its tree keeps no trace of): where the
 * current tag began, how deep it is, where a document type is.
 */
interface SaxParser {
  /** 1-based offset in the text of the current tag's `<`. */
  readonly startTagPosition: number;
  /** 0-based line of the character just read. */
  readonly line: number;
  readonly tags: readonly unknown[];
  onopentag: (tag: unknown) => void;
  /** Called at the `>` that ends `<!DOCTYPE`, with the text between them. */
  ondoctype?: (doctype: string) => void;
}

/**
 * Parses web.config and returns its `<configuration>` element, each element with its line. A `<!DOCTYPE>` is
 * refused: web.config has no use for one, and its entity declarations are how "billion laughs" files attack parsers.
 * @throws BackgroundJobsError `WBJ_CONFIG` for malformed XML, another root element, a document type, or a file past
 *   {@link XML_LIMITS}, naming the line.
 */
export function parseConfiguration(xml: string, file: string): XmlElement {
  const parser = new Parser({ explicitChildren: true, preserveChildrenOrder: true, explicitRoot: false });
  const sax = (parser as unknown as { saxParser: SaxParser }).saxParser;
  const starts: number[] = [];
  let refusal: BackgroundJobsError | undefined;
  const refuse = (line: number, problem: string): never => {
    refusal = configError(file, line, problem);
    throw refusal;
  };
  const tagLine = (): number => linesAt(xml, [sax.startTagPosition - 1])[0];
  const open = sax.onopentag;
  sax.onopentag = (tag) => {
    if (starts.length === XML_LIMITS.elements) {
      refuse(tagLine(), `The config file has more than ${XML_LIMITS.elements} elements, more than is read`);
    }
    // sax pushes a tag before it reports it: the open tags are its ancestors and itself.
    if (sax.tags.length > XML_LIMITS.depth) {
      refuse(
        tagLine(),
        `The config file nests elements more than ${XML_LIMITS.depth} deep, deeper than is read`,
      );
    }
    starts.push(sax.startTagPosition - 1);
    open(tag);
  };
  // Its line is where it ends, less the lines it spans.
  sax.ondoctype = (doctype) =>
    refuse(
      sax.line + 1 - (doctype.match(/\n/g)?.length ?? 0),
      '<!DOCTYPE> is not allowed in web.config: document types and entity declarations are not read',
    );
  let outcome: { error: Error | null; root: Omit<XmlElement, 'line'> | null } | undefined;
  // xml2js calls back synchronously unless its `async` option is set, so start-up stays synchronous.
  try {
    parser.parseString(xml, (error: Error | null, root: Omit<XmlElement, 'line'> | null) => {
      outcome ??= { error, root };
    });
  } catch (thrown) {
    // Once the root element has closed, xml2js has called back and throws what sax finds after it (text after a
    // second root element), bare or wrapped as an 'error' event nothing listened to: malformed XML as well.
    if (thrown === refusal) throw refusal;
    const unhandled = thrown as { code?: unknown; context?: unknown } | null;
    outcome = {
      error: (unhandled?.code === 'ERR_UNHANDLED_ERROR' ? unhandled.context : thrown) as Error,
      root: null,
    };
  }
  if (outcome?.error) {
    if (outcome.error === refusal) throw refusal;
    const [reason, ...position] = outcome.error.message.split('\n');
    const line = /Line: (\d+)/.exec(position.join(' '))?.[1];
    throw configError(
      file,
      line === undefined ? undefined : Number(line) + 1,
      `malformed XML: ${reason}; expected a well-formed <configuration> document`,
    );
  }
  if (!outcome?.root) {
    throw configError(file, undefined, 'the root element must be <configuration>, found an empty document');
  }
  const root = withLinesInOrder(outcome.root, linesAt(xml, starts));
  if (root['#name'] !== 'configuration') {
    throw configError(file, root.line, `the root element must be <configuration>, found <${root['#name']}>`);
  }
  return root;
}

/**
 * Gives each element its line: xml2js makes one element per start tag, and sax reports start tags in document
 * order, which is the order of a depth-first walk of the tree.
 */
function withLinesInOrder(root: Omit<XmlElement, 'line'>, lines: readonly number[]): XmlElement {
  let index = 0;
  // A walk with a stack of its own, not recursion: depth is bounded, but the walk need not rely on it.
  const pending = [root as XmlElement];
  while (pending.length > 0) {
    const element = pending.pop()!;
    element.line = lines[index];
    index += 1;
    const children = element.$$ ?? [];
    for (let child = children.length - 1; child >= 0; child -= 1) pending.push(children[child]);
  }
  return root as XmlElement;
}

/** The 1-based line of each offset of `text`, in one pass: `offsets` ascend. */
function linesAt(text: string, offsets: readonly number[]): number[] {
  let line = 1;
  let newline = text.indexOf('\n');
  return offsets.map((offset) => {
    while (newline !== -1 && newline < offset) {
      line += 1;
      newline = text.indexOf('\n', newline + 1);
    }
    return line;
  });
}
