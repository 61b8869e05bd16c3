import { useState } from 'react';
import { ReadinessStatus } from './ReadinessStatus.tsx';
import { SetupStatus } from './SetupStatus.tsx';

export function App() {
  // Each press of "Check again" changes the keys below, which remounts both
  // status components and so repeats their requests. The role="status"
  // containers stay mounted, so screen readers can announce the new content.
  const [checkCount, setCheckCount] = useState(0);

  return (
    <>
      <header className="page-header">
        <h1>Peytonix</h1>
        <p>Internal audit and controls testing</p>
      </header>
      <main>
        <section className="panel" aria-labelledby="readiness-heading">
          <h2 id="readiness-heading">Server readiness</h2>
          <div role="status">
            <ReadinessStatus key={checkCount} />
          </div>
        </section>
        <section className="panel" aria-labelledby="setup-heading">
          <h2 id="setup-heading">Setup</h2>
          <div role="status">
            <SetupStatus key={checkCount} />
          </div>
        </section>
        <button type="button" onClick={() => setCheckCount((count) => count + 1)}>
          Check again
        </button>
      </main>
    </>
  );
}
