import { Fragment } from 'react';
import { revealHiddenCharacters } from './invisible-characters.ts';
import classes from './UntrustedText.module.css';

/**
 * Show text that users or imported files supplied, with every control,
 * bidi and zero-width character as a visible marker such as ⟨U+202E⟩, so
 * the text cannot reorder or hide parts of itself. The text is isolated
 * from its surroundings for bidi, and each marker names its character for
 * screen readers. Only the display changes: copy the stored value from the
 * API for the exact characters.
 */
export function UntrustedText({
  text,
  multiline = false,
}: {
  text: string;
  /** Keep tab and line breaks as they are, for comments and rationales. */
  multiline?: boolean;
}) {
  const segments = revealHiddenCharacters(text, { multiline });

  return (
    <bdi className={classes.text}>
      {segments.map((segment) =>
        segment.kind === 'text' ? (
          <Fragment key={segment.offset}>{segment.text}</Fragment>
        ) : (
          <span
            key={segment.offset}
            className={classes.marker}
            role="img"
            aria-label={segment.label}
            title={segment.label}
            data-hidden-character={segment.codePoint}
          >
            {segment.marker}
          </span>
        ),
      )}
    </bdi>
  );
}
