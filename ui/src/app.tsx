/**
 * The console's frame: sign-in first, then a header with the main navigation and the pages.
 * Routes are plain paths (`/alerts/…`, `/search?q=…`), which `vigil serve` answers with the
 * console's page, so every view can be bookmarked and shared.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ErrorNotice, Loading } from './components/error-notice.js';
import { PageBoundary } from './components/page-boundary.js';
import { Visible } from './components/visible.js';
import { AlertDetailPage } from './pages/alert-detail.js';
import { AlertsPage } from './pages/alerts.js';
import { CaseDetailPage } from './pages/case-detail.js';
import { CasesPage } from './pages/cases.js';
import { ChangePasswordPage, LoginPage } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { RulesPage } from './pages/rules.js';
import { SearchPage } from './pages/search.js';
import { SettingsPage } from './pages/settings/settings.js';
import { SourcesPage } from './pages/sources.js';
import { TimelinePage } from './pages/timeline.js';
import { useSession, useUser } from './session.js';
import { useTheme } from './theme.js';

export function App(): ReactNode {
  const { status, retry } = useSession();
  switch (status.kind) {
    case 'loading':
      return (
        <main id="main" className="login">
          <Loading what="the console" />
        </main>
      );
    case 'unreachable':
      return (
        <main id="main" className="login">
          <div className="card login-card">
            <h1>Vigil</h1>
            <ErrorNotice error={status.error} />
            <button type="button" onClick={retry}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'signed-out':
      return <LoginPage notice={status.notice} />;
    case 'change-password':
      return <ChangePasswordPage username={status.user.username} />;
    case 'signed-in':
      return (
        <BrowserRouter>
          <Shell />
        </BrowserRouter>
      );
  }
}

const NAV = [
  ['/', 'Overview'],
  ['/alerts', 'Alerts'],
  ['/search', 'Search'],
  ['/timeline', 'Timeline'],
  ['/cases', 'Cases'],
  ['/rules', 'Rules'],
  ['/sources', 'Sources'],
  ['/settings', 'Settings'],
] as const;

function Shell(): ReactNode {
  const user = useUser();
  const { signOut } = useSession();
  const { resolved, toggle } = useTheme();
  const navigate = useNavigate();
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // `/` anywhere outside a text field goes to the search bar.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
      e.preventDefault();
      const query = document.getElementById('search-query');
      if (query) query.focus();
      else navigate('/search', { state: { focusQuery: true } });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);

  // A new page moves the focus to its content, as a new document would for a screen reader.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if ((location.state as { focusQuery?: boolean } | null)?.focusQuery) return;
    main.current?.focus();
  }, [location.pathname]);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand" aria-hidden="true">
          Vigil
        </span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, name]) => (
              <li key={to}>
                <NavLink to={to} end={to === '/'}>
                  {name}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="user" title="signed in as">
            <Visible>{user.username}</Visible> <span className="role">({user.role})</span>
          </span>
          <button type="button" aria-label="Dark theme" aria-pressed={resolved === 'dark'} onClick={toggle} title="Switch between light and dark">
            {resolved === 'dark' ? '☾' : '☀'}
          </button>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <PageBoundary page={location.pathname}>
        <Routes>
          <Route path="/" element={<OverviewPage />} />
          <Route path="/alerts" element={<AlertsPage />} />
          <Route path="/alerts/:id" element={<AlertDetailPage />} />
          <Route path="/search" element={<SearchPage />} />
          <Route path="/timeline" element={<TimelinePage />} />
          <Route path="/cases" element={<CasesPage />} />
          <Route path="/cases/:id" element={<CaseDetailPage />} />
          <Route path="/rules" element={<RulesPage />} />
          <Route path="/sources" element={<SourcesPage />} />
          <Route path="/settings" element={<Navigate to={user.role === 'admin' ? '/settings/tokens' : '/settings/suppressions'} replace />} />
          <Route path="/settings/:section" element={<SettingsPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
        </PageBoundary>
      </main>
    </>
  );
}

function NotFound(): ReactNode {
  return (
    <section>
      <title>Not found · Vigil</title>
      <h1>Page not found</h1>
      <p>
        There is no such page in the console. Go to the <NavLink to="/">overview</NavLink>.
      </p>
    </section>
  );
}

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
