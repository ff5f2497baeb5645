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
