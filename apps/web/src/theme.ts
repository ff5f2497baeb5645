import { createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';

/** sigdesk's navy: shade 7 and darker carry white text at WCAG AA contrast. */
const navy: MantineColorsTuple = [
  '#edf2fa',
  '#d9e2f2',
  '#b0c3e4',
  '#84a2d6',
  '#5f86ca',
  '#4875c3',
  '#3b6cc1',
  '#2d5aa8',
  '#244f97',
  '#1c3d6e',
];

export const theme = createTheme({
  primaryColor: 'navy',
  // people who ask their system for less motion get no transitions (dialogs, menus, notifications)
  respectReducedMotion: true,
  primaryShade: { light: 7, dark: 5 },
  colors: { navy },
  defaultRadius: 'md',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif',
  headings: { fontWeight: '650' },
});

/**
 * Secondary text and error messages at AA contrast: dark enough on white (Mantine's gray 6 and red 6 are not), and
 * light enough on the dark theme's surfaces (Mantine's dark 2 is not, on dark 7), links too.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
  },
  dark: {
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--mantine-color-error': 'var(--mantine-color-red-4)',
    // links: the primary colour's dark-theme shade is too dark on the dark surfaces
    '--mantine-color-anchor': 'var(--mantine-color-navy-3)',
  },
});

/**
 * Text in `color` that keeps AA contrast in both schemes: the colour's shade 9 on light surfaces, its shade 2 on dark
 * ones (for `c=` props: clock states, refusals, statuses).
 */
export function readableColor(color: string): string {
  return `light-dark(var(--mantine-color-${color}-9), var(--mantine-color-${color}-2))`;
}

/** The body text's colour, for text on tinted surfaces (light badges) that must not take the tint's colour. */
export const BODY_TEXT = 'var(--mantine-color-text)';
