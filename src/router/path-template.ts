// HttpRule path templates (google/api/http.proto):
//
//   Template = "/" Segments [ Verb ] ;  Segments = Segment { "/" Segment } ;
//   Segment  = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;  FieldPath = IDENT { "." IDENT } ;  Verb = ":" LITERAL ;
//
// OpenAPI-style templates ("/shelves/{shelf}") are the same language. One opt-in extension
// (allowInnerDoubleWildcard, MappingOptions.allow_inner_double_wildcard) lets '**' be followed by a
// fixed-length tail of literals and '*' ("/files/{path=**}/versions"): the tail matches the
// request's last segments and '**' the segments between. Parsing is strict: every
// template that could be read two ways, or that could never match a request, is refused with the
// offset of the problem, because a route that silently never matches is worse than a load error.

export type Segment = { kind: 'literal'; value: string } | { kind: 'any' } /* * */ | { kind: 'rest' } /* ** */;

export interface TemplateVariable {
  fieldPath: string;
  /**
   * Template segment index range, inclusive. A '**' segment stands for any number of request
   * segments, so the request range of a variable that holds or follows it is found by the router.
   */
  first: number;
  last: number;
}

export interface PathTemplate {
  source: string;
  segments: Segment[];
  variables: TemplateVariable[];
  verb?: string;
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export interface TemplateOptions {
  /** '**' may be followed by more segments (literals or '*', no second '**'). */
  allowInnerDoubleWildcard?: boolean;
}

export function parsePathTemplate(text: string, options: TemplateOptions = {}): PathTemplate {
  return new TemplateReader(text, 'path template', options.allowInnerDoubleWildcard ?? false).readTemplate();
}

/**
 * Prefixes a template with a Frontend's base path: ("/kv", "/{key=**}") -> "/kv/{key=**}". An empty
 * or "/" base leaves the template alone; a base of literal segments may end with one '/'.
 */
export function joinBasePath(basePath: string, template: string): string {
  if (basePath === '' || basePath === '/') return template;
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  const parsed = new TemplateReader(base, 'base path').readTemplate();
  if (parsed.variables.length > 0 || parsed.verb !== undefined || parsed.segments.some((s) => s.kind !== 'literal')) {
    throw new TemplateError(`invalid base path ${JSON.stringify(basePath)}: only literal segments are allowed`);
  }
  if (!template.startsWith('/')) {
    throw new TemplateError(`invalid path template ${JSON.stringify(template)}: must start with '/' at offset 0`);
  }
  return template === '/' ? base : base + template;
}

// Characters a literal (or verb) may hold: RFC 3986 unreserved and sub-delims plus '@', i.e. the
// characters a client sends unencoded in a path segment. Excluded on purpose: '*' (wildcard), ':'
// (verb separator), '{' '}' '/' (syntax), '%' (literals are compared with the raw request text, so an
// encoded literal would match only one of the spellings of the same text), '?' and '#' (never part
// of a path on the wire).
const LITERAL_PUNCTUATION = "-._~!$&'()+,;=@";

function isLiteralChar(char: string): boolean {
  return /^[A-Za-z0-9]$/.test(char) || LITERAL_PUNCTUATION.includes(char);
}

function isIdentStart(char: string): boolean {
  return /^[A-Za-z_]$/.test(char);
}

function isIdentChar(char: string): boolean {
  return /^[A-Za-z0-9_]$/.test(char);
}

function describeChar(char: string): string {
  return char === '' ? 'end of template' : JSON.stringify(char);
}

/** Recursive-descent reader over one template; `what` names the text in error messages. */
class TemplateReader {
  private pos = 0;
  private readonly segments: Segment[] = [];
  private readonly variables: TemplateVariable[] = [];

  constructor(
    private readonly text: string,
    private readonly what: string,
    private readonly allowInnerRest = false,
  ) {}

  readTemplate(): PathTemplate {
    if (!this.text.startsWith('/')) this.fail("must start with '/'", 0);
    this.pos = 1;
    // The root template is the only one with no segment at all.
    if (this.text === '/') return { source: this.text, segments: [], variables: [] };
    this.readSegments(false);
    const verb = this.peek() === ':' ? this.readVerb() : undefined;
    if (this.pos < this.text.length) this.fail(`unexpected ${describeChar(this.peek())}`, this.pos);
    return {
      source: this.text,
      segments: this.segments,
      variables: this.variables,
      ...(verb === undefined ? {} : { verb }),
    };
  }

  private fail(problem: string, offset: number): never {
    throw new TemplateError(`invalid ${this.what} ${JSON.stringify(this.text)}: ${problem} at offset ${offset}`);
  }

  private peek(): string {
    return this.text.charAt(this.pos);
  }

  private readSegments(insideVariable: boolean): void {
    for (;;) {
      this.readSegment(insideVariable);
      if (this.peek() !== '/') return;
      this.pos++;
    }
  }

  private readSegment(insideVariable: boolean): void {
    const start = this.pos;
    const char = this.peek();
    if (char === '' || char === '/' || char === '}') this.fail('empty segment', start);
    if (char === ':') this.fail("missing segment before ':'", start);
    if (!this.allowInnerRest && this.segments.at(-1)?.kind === 'rest') this.fail("'**' must be the last segment", start);
    if (char === '*') {
      this.pos++;
      const isRest = this.peek() === '*';
      if (isRest) this.pos++;
      if (isRest && this.segments.some((s) => s.kind === 'rest')) this.fail("only one '**' is allowed in a template", start);
      this.segments.push({ kind: isRest ? 'rest' : 'any' });
      this.expectSegmentEnd(insideVariable, "'*' must be a whole segment");
    } else if (char === '{') {
      if (insideVariable) this.fail('a variable may not contain another variable', start);
      this.readVariable();
      this.expectSegmentEnd(insideVariable, 'a variable must be a whole segment');
    } else {
      const value = this.readLiteral();
      if (value === '') this.fail(`unexpected ${describeChar(char)}`, start);
      this.segments.push({ kind: 'literal', value });
      this.expectSegmentEnd(insideVariable, `invalid character ${describeChar(this.peek())} in literal`);
    }
  }

  /** A segment must be followed by '/', the verb, the end of its variable, or the end of the template. */
  private expectSegmentEnd(insideVariable: boolean, problemOtherwise: string): void {
    const char = this.peek();
    if (char === '' || char === '/') return;
    if (insideVariable ? char === '}' : char === ':') return;
    if (char === ':') this.fail("':' is not allowed inside a variable", this.pos);
    if (char === '}') this.fail("unmatched '}'", this.pos);
    if (char === '{') this.fail('a variable must be a whole segment', this.pos);
    if (char === '*') this.fail("'*' must be a whole segment", this.pos);
    this.fail(problemOtherwise, this.pos);
  }

  private readLiteral(): string {
    const start = this.pos;
    while (this.pos < this.text.length && isLiteralChar(this.peek())) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private readVariable(): void {
    const braceOffset = this.pos;
    this.pos++;
    const fieldOffset = this.pos;
    const fieldPath = this.readFieldPath(braceOffset);
    if (this.variables.some((v) => v.fieldPath === fieldPath)) {
      this.fail(`field path ${JSON.stringify(fieldPath)} is bound twice`, fieldOffset);
    }
    const first = this.segments.length;
    if (this.peek() === '=') {
      this.pos++;
      this.readSegments(true);
    } else {
      this.segments.push({ kind: 'any' });
    }
    if (this.pos >= this.text.length) this.fail('unterminated variable', braceOffset);
    if (this.peek() !== '}') this.fail(`invalid character ${describeChar(this.peek())} in field path`, this.pos);
    this.pos++;
    this.variables.push({ fieldPath, first, last: this.segments.length - 1 });
  }

  private readFieldPath(braceOffset: number): string {
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.text.length) this.fail('unterminated variable', braceOffset);
      if (!isIdentStart(this.peek())) {
        this.fail(this.pos === start ? 'missing field name' : 'expected a field name', this.pos);
      }
      while (isIdentChar(this.peek())) this.pos++;
      if (this.peek() !== '.') return this.text.slice(start, this.pos);
      this.pos++;
    }
  }

  private readVerb(): string {
    const colonOffset = this.pos;
    this.pos++;
    const verb = this.readLiteral();
    if (verb === '') this.fail("missing verb after ':'", colonOffset);
    return verb;
  }
}
