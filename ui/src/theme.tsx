/**
 * Light and dark themes: the system's preference until the analyst picks one, which is kept in
 * localStorage. The choice is an attribute on <html> that the stylesheet reads; nothing inline.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';

export type ThemeName = 'light' | 'dark';
const KEY = 'vigil-theme';

interface ThemeState {
  /** The theme in use. */
  readonly resolved: ThemeName;
  /** Chosen by the analyst; undefined: following the system. */
  readonly chosen: ThemeName | undefined;
  toggle(): void;
}

const ThemeContext = createContext<ThemeState>({ resolved: 'light', chosen: undefined, toggle: () => undefined });

function stored(): ThemeName | undefined {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : undefined;
  } catch {
    return undefined;
  }
}

const dark = () => window.matchMedia('(prefers-color-scheme: dark)');

/** Sets the attribute before the first render, so the page does not flash the other theme. */
export function applyStoredTheme(): void {
  const choice = stored();
  document.documentElement.dataset['theme'] = choice ?? (dark().matches ? 'dark' : 'light');
}

export function ThemeProvider({ children }: { readonly children: ReactNode }): ReactNode {
  const [chosen, setChosen] = useState<ThemeName | undefined>(stored);
  const [system, setSystem] = useState<ThemeName>(() => (dark().matches ? 'dark' : 'light'));
  useEffect(() => {
    const media = dark();
    const change = () => setSystem(media.matches ? 'dark' : 'light');
    media.addEventListener('change', change);
    return () => media.removeEventListener('change', change);
  }, []);
  const resolved = chosen ?? system;
  useEffect(() => {
    document.documentElement.dataset['theme'] = resolved;
  }, [resolved]);
  const toggle = useCallback(() => {
    const next: ThemeName = resolved === 'dark' ? 'light' : 'dark';
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Private windows may refuse storage; the choice then lasts for this page only.
    }
    setChosen(next);
  }, [resolved]);
  return <ThemeContext.Provider value={{ resolved, chosen, toggle }}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeState {
  return useContext(ThemeContext);
}
