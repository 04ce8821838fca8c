/**
 * A Dockerfile parser that reads what the cache-mount logic needs: stages, their base images,
 * ARG and ENV values, USER, and the flags and commands of RUN instructions. It follows the
 * Dockerfile reference for parser directives, line continuations, comments and variable
 * substitution ($VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative}).
 */

/** One `--mount` flag of a RUN instruction. */
export interface Mount {
  type: string;
  /** Expanded target path; '' when it expands to nothing. */
  target: string;
  /** The target as written, before expansion. */
  rawTarget: string;
  /** Options whose value as written refers to a variable, as `key=value`. */
  variableOptions: string[];
  /** BuildKit cache id; defaults to the target when the flag has none. */
  id: string;
  sharing: string;
  uid?: string;
  gid?: string;
  mode?: string;
  from?: string;
  source?: string;
}

export interface RunInstruction {
  /** 1-based line where the instruction starts. */
  line: number;
  mounts: Mount[];
  /** The shell command or exec form after the flags, as written. */
  command: string;
}

export interface Stage {
  index: number;
  /** Name from `FROM image AS name`, or '' when there is none. */
  name: string;
  /** Base image reference, expanded; another stage's name when the stage builds on it. */
  baseImage: string;
  platform: string;
  /** ENV values and ARG values in effect at the end of the stage. */
  variables: Map<string, string>;
  /** ENV values only (ARG values do not reach the image config). */
  env: Map<string, string>;
  /** Last USER of the stage, or '' for root. */
  user: string;
  runs: RunInstruction[];
}

export interface ParsedDockerfile {
  directives: Map<string, string>;
  escapeChar: string;
  stages: Stage[];
}

interface LogicalLine {
  line: number;
  text: string;
}

const DIRECTIVE = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/;

function readDirectives(lines: string[]): { directives: Map<string, string>; bodyStart: number } {
  const directives = new Map<string, string>();
  let index = 0;
  for (; index < lines.length; index++) {
    const match = DIRECTIVE.exec(lines[index]);
    if (!match || directives.has(match[1].toLowerCase())) break;
    directives.set(match[1].toLowerCase(), match[2]);
  }
  return { directives, bodyStart: index };
}

/** Joins continued lines, drops comments and blank lines, and keeps heredoc bodies. */
function readLogicalLines(lines: string[], start: number, escapeChar: string): LogicalLine[] {
  const logical: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  for (let index = start; index < lines.length; index++) {
    const raw = lines[index].replace(/\r$/, '');
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && current === undefined)) continue;
    if (trimmed === '') continue;
    const continues = raw.trimEnd().endsWith(escapeChar);
    const content = continues ? raw.trimEnd().slice(0, -1) : raw;
    if (current === undefined) current = { line: index + 1, text: content.trimStart() };
    else current.text += ' ' + content.trim();
    if (continues) continue;

    const heredoc = /<<-?["']?([A-Za-z_][A-Za-z0-9_]*)["']?/.exec(current.text);
    if (heredoc && /^(RUN|COPY|ADD)\s/i.test(current.text)) {
      for (index++; index < lines.length && lines[index].trim() !== heredoc[1]; index++) {
        current.text += '\n' + lines[index];
      }
    }
    logical.push(current);
    current = undefined;
  }
  if (current) logical.push(current);
  return logical;
}

/**
 * Expands $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alternative}. An unset name expands
 * to ''. The escape character before `$` keeps the dollar sign.
 */
export function expandVariables(
  text: string,
  variables: Map<string, string>,
  escapeChar = '\\',
): string {
  let result = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === escapeChar && text[index + 1] === '$') {
      result += '$';
      index++;
      continue;
    }
    if (char !== '$') {
      result += char;
      continue;
    }
    if (text[index + 1] === '{') {
      const end = text.indexOf('}', index + 2);
      if (end < 0) {
        result += text.slice(index);
        break;
      }
      result += expandBraced(text.slice(index + 2, end), variables, escapeChar);
      index = end;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(index + 1));
    if (!name) {
      result += char;
      continue;
    }
    result += variables.get(name[0]) ?? '';
    index += name[0].length;
  }
  return result;
}

function expandBraced(body: string, variables: Map<string, string>, escapeChar: string): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(body);
  if (!match) return '';
  const [, name, operator, word] = match;
  const value = variables.get(name);
  if (operator === '-') return value ? value : expandVariables(word, variables, escapeChar);
  if (operator === '+') return value ? expandVariables(word, variables, escapeChar) : '';
  return value ?? '';
}

/** Splits on white space, keeping quoted parts together and removing the quotes. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /(?:"([^"]*)"|'([^']*)'|(\S+))/g;
  let current = '';
  let lastEnd = -1;
  for (const match of text.matchAll(pattern)) {
    const piece = match[1] ?? match[2] ?? match[3] ?? '';
    if (lastEnd === match.index && words.length > 0) current = words.pop() + piece;
    else current = piece;
    words.push(current);
    lastEnd = match.index + match[0].length;
  }
  return words;
}

/** Parses `KEY=VALUE ...` (or the legacy `KEY VALUE`) of ENV and ARG. */
function parseAssignments(
  rest: string,
  allowBareNames: boolean,
): Array<[string, string | undefined]> {
  const words = splitWords(rest);
  if (words.length > 0 && !words[0].includes('=') && !allowBareNames) {
    // Legacy ENV form: the first word is the name and the rest, as written, the value.
    return [[words[0], rest.trim().slice(words[0].length).trim()]];
  }
  return words.map((word) => {
    const separator = word.indexOf('=');
    return separator < 0
      ? [word, undefined]
      : [word.slice(0, separator), word.slice(separator + 1)];
  });
}

/** Parses the comma-separated key=value list of a `--mount` flag. */
export function parseMount(
  value: string,
  variables: Map<string, string>,
  escapeChar = '\\',
): Mount {
  const fields = new Map<string, string>();
  for (const field of value.split(',')) {
    const separator = field.indexOf('=');
    const key = (separator < 0 ? field : field.slice(0, separator)).trim().toLowerCase();
    const fieldValue =
      separator < 0 ? 'true' : field.slice(separator + 1).replace(/^"(.*)"$/, '$1');
    fields.set(key, fieldValue);
  }
  const rawTarget = fields.get('target') ?? fields.get('dst') ?? fields.get('destination') ?? '';
  const target = normalizeTarget(expandVariables(rawTarget, variables, escapeChar));
  const expand = (key: string): string | undefined => {
    const field = fields.get(key);
    return field === undefined ? undefined : expandVariables(field, variables, escapeChar);
  };
  const variableOptions = [...fields]
    .filter(([, fieldValue]) => fieldValue.includes('$'))
    .map(([key, fieldValue]) => `${key}=${fieldValue}`);
  return {
    type: (fields.get('type') ?? 'bind').toLowerCase(),
    target,
    rawTarget,
    variableOptions,
    id: expand('id') || target,
    sharing: expand('sharing') || 'shared',
    uid: expand('uid'),
    gid: expand('gid'),
    mode: expand('mode'),
    from: expand('from'),
    source: expand('source') ?? expand('src'),
  };
}

function normalizeTarget(target: string): string {
  if (target === '') return '';
  const collapsed = target.replace(/\/+/g, '/');
  return collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
}

function parseRun(
  rest: string,
  line: number,
  variables: Map<string, string>,
  escapeChar: string,
): RunInstruction {
  const mounts: Mount[] = [];
  let remaining = rest.trimStart();
  for (;;) {
    const flag = /^--([a-z-]+)(?:=("[^"]*"|\S*))?\s*/.exec(remaining);
    if (!flag) break;
    if (flag[1] === 'mount' && flag[2] !== undefined) {
      mounts.push(parseMount(flag[2].replace(/^"(.*)"$/, '$1'), variables, escapeChar));
    }
    remaining = remaining.slice(flag[0].length);
  }
  return { line, mounts, command: remaining };
}

/**
 * Parses a Dockerfile. `buildArgs` are the NAME=VALUE build arguments of the build, which
 * override ARG defaults.
 */
export function parseDockerfile(text: string, buildArgs: string[] = []): ParsedDockerfile {
  const lines = text.split('\n');
  const { directives, bodyStart } = readDirectives(lines);
  const escapeChar = directives.get('escape') === '`' ? '`' : '\\';
  const overrides = new Map<string, string>();
  for (const buildArg of buildArgs) {
    const separator = buildArg.indexOf('=');
    overrides.set(buildArg.slice(0, separator), buildArg.slice(separator + 1));
  }

  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let stage: Stage | undefined;

  for (const { line, text: instructionText } of readLogicalLines(lines, bodyStart, escapeChar)) {
    const keywordMatch = /^(\S+)\s*([\s\S]*)$/.exec(instructionText);
    if (!keywordMatch) continue;
    const keyword = keywordMatch[1].toUpperCase();
    const rest = keywordMatch[2];

    if (keyword === 'FROM') {
      stage = startStage(rest, stages, globalArgs, escapeChar);
      stages.push(stage);
      continue;
    }
    if (keyword === 'ARG') {
      const scope = stage ? stage.variables : globalArgs;
      for (const [name, defaultValue] of parseAssignments(rest, true)) {
        const inherited = stage ? globalArgs.get(name) : undefined;
        const value =
          overrides.get(name) ??
          (defaultValue !== undefined
            ? expandVariables(defaultValue, scope, escapeChar)
            : inherited);
        if (value !== undefined) scope.set(name, value);
      }
      continue;
    }
    if (!stage) continue;
    if (keyword === 'ENV') {
      for (const [name, value] of parseAssignments(rest, false)) {
        const expanded = expandVariables(value ?? '', stage.variables, escapeChar);
        stage.variables.set(name, expanded);
        stage.env.set(name, expanded);
      }
    } else if (keyword === 'USER') {
      stage.user = expandVariables(rest.trim(), stage.variables, escapeChar);
    } else if (keyword === 'RUN') {
      stage.runs.push(parseRun(rest, line, stage.variables, escapeChar));
    }
  }
  return { directives, escapeChar, stages };
}

function startStage(
  rest: string,
  stages: Stage[],
  globalArgs: Map<string, string>,
  escapeChar: string,
): Stage {
  const words = splitWords(rest);
  let platform = '';
  while (words.length > 0 && words[0].startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--platform=')) {
      platform = expandVariables(flag.slice('--platform='.length), globalArgs, escapeChar);
    }
  }
  const baseImage = expandVariables(words[0] ?? '', globalArgs, escapeChar);
  const name = words.length >= 3 && words[1].toLowerCase() === 'as' ? words[2] : '';
  const parent = stages.find(
    (candidate) => candidate.name !== '' && candidate.name === baseImage.toLowerCase(),
  );
  return {
    index: stages.length,
    name: name.toLowerCase(),
    baseImage,
    platform,
    variables: new Map(parent ? parent.env : []),
    env: new Map(parent ? parent.env : []),
    user: parent ? parent.user : '',
    runs: [],
  };
}

/**
 * Follows `FROM <stage>` links back to an image reference: the image whose file system the
 * stage starts from.
 */
export function resolveBaseImage(dockerfile: ParsedDockerfile, stage: Stage): string {
  let current = stage;
  for (let depth = 0; depth < dockerfile.stages.length; depth++) {
    const parent = dockerfile.stages
      .slice(0, current.index)
      .find(
        (candidate) => candidate.name !== '' && candidate.name === current.baseImage.toLowerCase(),
      );
    if (!parent) return current.baseImage;
    current = parent;
  }
  return current.baseImage;
}

const GO_COMPILE_COMMAND = /\bgo["',\s]+(?:build|install)\b/;

/** Returns the first stage with a RUN that runs go build or go install, if there is one. */
export function findGoBuildStage(dockerfile: ParsedDockerfile): Stage | undefined {
  return dockerfile.stages.find((stage) =>
    stage.runs.some((run) => GO_COMPILE_COMMAND.test(run.command)),
  );
}
