import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, linter, type Diagnostic as EditorDiagnostic } from '@codemirror/lint';
import { EditorSelection, EditorState } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import { useEffect, useRef, type RefObject } from 'react';
import type { RuleCheckAnswer } from '../../../api/signature-changes';
import { diagnosticRange } from './rule-text';
import { yaraHighlightStyle, yaraLanguage } from './yara-language';
import classes from './YaraEditor.module.css';

/**
 * How long after the last key press the rule is checked: the diagnostics' budget is 500 ms from there. Longer than
 * the gap between two keys of someone typing steadily (about 100 ms at 60 words a minute, so a check seldom starts
 * mid-word); each check costs the server one engine process (spares started ahead, see EnginePool).
 */
export const CHECK_DELAY_MS = 150;

export type CheckState =
  | { status: 'idle' }
  /** typed since the last answer: a check follows the pause */
  | { status: 'pending' }
  | { status: 'checking' }
  | { status: 'done'; answer: RuleCheckAnswer; text: string }
  | { status: 'failed'; error: unknown };

/** What the page does with the editor: put a new text in (a pattern added), move to a place, focus it. */
export interface YaraEditorHandle {
  replace(text: string, cursor: number): void;
  goTo(line: number | undefined, column: number | undefined): void;
  focus(): void;
  text(): string;
}

const editorTheme = EditorView.theme({
  '&': {
    fontSize: 'var(--mantine-font-size-sm)',
    backgroundColor: 'var(--mantine-color-body)',
    color: 'var(--mantine-color-text)',
    minHeight: '22rem',
  },
  // a long rule scrolls inside the editor rather than stretching the page
  '.cm-scroller': { fontFamily: 'var(--mantine-font-family-monospace)', lineHeight: '1.55', maxHeight: '40rem' },
  '.cm-content': { caretColor: 'var(--mantine-color-text)', minHeight: '22rem' },
  '.cm-cursor': { borderLeftColor: 'var(--mantine-color-text)' },
  '.cm-gutters': {
    backgroundColor: 'light-dark(var(--mantine-color-gray-0), var(--mantine-color-dark-6))',
    color: 'light-dark(var(--mantine-color-gray-7), var(--mantine-color-dark-1))',
    borderRight: '1px solid var(--mantine-color-default-border)',
  },
  '.cm-activeLine': { backgroundColor: 'light-dark(rgba(34, 139, 230, 0.06), rgba(34, 139, 230, 0.12))' },
  '.cm-activeLineGutter': { backgroundColor: 'light-dark(var(--mantine-color-gray-2), var(--mantine-color-dark-5))' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': {
    backgroundColor: 'light-dark(rgba(34, 139, 230, 0.25), rgba(34, 139, 230, 0.4))',
  },
  // the lint extension draws its marks with data: images, which the content security policy refuses (img-src 'self')
  '.cm-lintRange-error, .cm-lintRange-warning, .cm-lintRange-info, .cm-lintRange-hint': {
    backgroundImage: 'none',
    textDecorationLine: 'underline',
    textDecorationStyle: 'wavy',
    textDecorationSkipInk: 'none',
    textUnderlineOffset: '3px',
  },
  '.cm-lintRange-error': { textDecorationColor: 'light-dark(#cf222e, #ff7b72)' },
  '.cm-lintRange-warning': { textDecorationColor: 'light-dark(#9a6700, #d29922)' },
  '.cm-lint-marker': { content: 'none', borderRadius: '50%', width: '0.7em', height: '0.7em', margin: '0.15em' },
  '.cm-lint-marker-error': { content: 'none', backgroundColor: 'light-dark(#cf222e, #ff7b72)' },
  '.cm-lint-marker-warning': { content: 'none', backgroundColor: 'light-dark(#9a6700, #d29922)' },
  '.cm-lint-marker-info': { content: 'none', backgroundColor: 'light-dark(#0550ae, #79c0ff)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--mantine-color-body)',
    color: 'var(--mantine-color-text)',
    border: '1px solid var(--mantine-color-default-border)',
  },
});

/** The check's answer as the editor's marks; answers of an older text are left out. */
function toEditorDiagnostics(state: EditorState, answer: RuleCheckAnswer): EditorDiagnostic[] {
  return [...answer.errors, ...answer.warnings].map((diagnostic) => ({
    ...diagnosticRange(state.doc, diagnostic.line, diagnostic.column),
    severity: diagnostic.severity === 'error' ? 'error' : 'warning',
    source: diagnostic.code,
    message: diagnostic.message,
  }));
}

/**
 * CodeMirror 6 with YARA highlighting. The rule is checked `CHECK_DELAY_MS` after the analyst stops typing (the
 * check of the request before is cancelled), and the answer's errors and warnings are marked where they are.
 * The editor keeps its own keys (Tab goes on to the next control, as everywhere); Ctrl/Cmd+Enter submits.
 */
export function YaraEditor({
  initialText,
  label,
  describedBy,
  check,
  onCheck,
  onSubmit,
  handleRef,
}: {
  initialText: string;
  label: string;
  describedBy?: string;
  check: (text: string, signal: AbortSignal) => Promise<RuleCheckAnswer>;
  onCheck: (state: CheckState) => void;
  onSubmit: () => void;
  handleRef: RefObject<YaraEditorHandle | null>;
}) {
  const host = useRef<HTMLDivElement>(null);
  // the latest callbacks, read by the editor's extensions that are made once
  const callbacks = useRef({ check, onCheck, onSubmit });
  useEffect(() => {
    callbacks.current = { check, onCheck, onSubmit };
  });
  const initial = useRef(initialText);

  useEffect(() => {
    const inFlight: { current: AbortController | null } = { current: null };
    const lintSource = async (view: EditorView): Promise<EditorDiagnostic[]> => {
      const text = view.state.doc.toString();
      inFlight.current?.abort();
      const controller = new AbortController();
      inFlight.current = controller;
      callbacks.current.onCheck({ status: 'checking' });
      try {
        const answer = await callbacks.current.check(text, controller.signal);
        if (controller.signal.aborted || view.state.doc.toString() !== text) return [];
        callbacks.current.onCheck({ status: 'done', answer, text });
        return toEditorDiagnostics(view.state, answer);
      } catch (error) {
        if (!controller.signal.aborted) callbacks.current.onCheck({ status: 'failed', error });
        return [];
      } finally {
        if (inFlight.current === controller) inFlight.current = null;
      }
    };
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial.current,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightActiveLine(),
          drawSelection(),
          history(),
          bracketMatching(),
          indentUnit.of('    '),
          yaraLanguage,
          syntaxHighlighting(yaraHighlightStyle),
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                callbacks.current.onSubmit();
                return true;
              },
            },
            ...defaultKeymap,
            ...historyKeymap,
          ]),
          linter(lintSource, { delay: CHECK_DELAY_MS }),
          lintGutter(),
          editorTheme,
          EditorView.contentAttributes.of({
            'aria-label': label,
            'aria-multiline': 'true',
            ...(describedBy ? { 'aria-describedby': describedBy } : {}),
          }),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged) return;
            // a check on its way answers for a text that is gone
            inFlight.current?.abort();
            inFlight.current = null;
            callbacks.current.onCheck({ status: 'pending' });
            // kept for an editor made again (the language changed its label)
            initial.current = update.state.doc.toString();
          }),
        ],
      }),
    });
    handleRef.current = {
      replace(text, cursor) {
        view.dispatch({
          changes: { from: 0, to: view.state.doc.length, insert: text },
          selection: EditorSelection.cursor(Math.min(cursor, text.length)),
          scrollIntoView: true,
        });
        view.focus();
      },
      goTo(line, column) {
        const { from } = diagnosticRange(view.state.doc, line, column);
        view.dispatch({ selection: EditorSelection.cursor(from), scrollIntoView: true });
        view.focus();
      },
      focus: () => view.focus(),
      text: () => view.state.doc.toString(),
    };
    return () => {
      inFlight.current?.abort();
      handleRef.current = null;
      view.destroy();
    };
  }, [label, describedBy, handleRef]);

  return <div ref={host} className={classes.editor} data-testid="rule-editor" />;
}
