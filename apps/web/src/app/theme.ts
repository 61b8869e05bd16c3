import { type CSSVariablesResolver, createTheme, Modal } from '@mantine/core';

// System fonts only: the content security policy lets the page load nothing from other origins.
export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 8 keeps white text on filled buttons of every color, red included, at or above
  // the WCAG AA contrast of 4.5:1.
  primaryShade: { light: 8, dark: 8 },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
  headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
  // Skip transitions for users who ask their system for reduced motion.
  respectReducedMotion: true,
  components: {
    // Mantine's close button shows only an icon, so it needs a name for screen readers.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
  },
});

/**
 * Darker light-mode colors where Mantine's defaults fall below the WCAG AA
 * contrast of 4.5:1 for normal text. Dimmed text (gray 6 on white, about
 * 3.3:1) becomes gray 7. The text of yellow alerts and badges (yellow 6 on
 * their pale background, below 2:1) becomes a dark amber. Form errors (red 6
 * on white, about 3.3:1) become red 9 (about 5.5:1).
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-yellow-light-color': '#6b4e00',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
  },
  dark: {},
});
