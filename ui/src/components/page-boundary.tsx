/**
 * A page that throws while rendering (a reply of an unexpected shape) shows what went wrong in
 * its place; the header and navigation stay, and moving to another page starts afresh.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** Changes when the page changes (the path), which clears the error. */
  readonly page: string;
  readonly children: ReactNode;
}

interface State {
  readonly error: Error | undefined;
  readonly page: string;
}

export class PageBoundary extends Component<Props, State> {
  override state: State = { error: undefined, page: this.props.page };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.page !== state.page ? { error: undefined, page: props.page } : null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('console page failed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <section>
        <h1>This page failed</h1>
        <div className="notice error" role="alert">
          The console could not show this page: {this.state.error.message}. Reload the page; if it fails again, the server may be newer or older than the console (rebuild
          it with npm ci).
        </div>
      </section>
    );
  }
}
