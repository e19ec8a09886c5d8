/**
 * Datasets and their consent terms; for data stewards, registration: the CSV is fingerprinted in the browser
 * (SHA-256), uploaded, and registered only when the service's fingerprint of what it stored is the same.
 */
import { useState } from 'preact/hooks';
import type { Session } from '../session.js';
import { Card, ErrorBox, Field, Loading, useLoad, when } from '../ui.js';

async function sha256(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return `sha256:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function Register({ session, onDone }: { session: Session; onDone: () => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [purposes, setPurposes] = useState('research');
  const [retainUntil, setRetainUntil] = useState('');
  const [description, setDescription] = useState('');
  const [step, setStep] = useState('');
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      if (!NAME.test(name))
        throw new Error(
          'A dataset name is 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
        );
      if (!file) throw new Error('Choose the CSV file to register.');
      if (file.size > 64 * 1024 * 1024)
        throw new Error(`The file is ${file.size} bytes; at most 64 MiB can be uploaded.`);
      const list = purposes
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      if (list.length === 0) throw new Error('Name at least one allowed purpose.');
      setStep('Fingerprinting…');
      const bytes = await file.arrayBuffer();
      const local = await sha256(bytes);
      setStep('Uploading…');
      const uploaded = await session.client.uploadDataset(name, new Uint8Array(bytes));
      if (uploaded.fingerprint !== local)
        throw new Error(
          `The service stored different bytes (its fingerprint ${uploaded.fingerprint}, this file's ${local}): not registered.`,
        );
      setStep('Registering…');
      await session.client.registerDataset({
        name,
        purposes: list,
        ...(retainUntil ? { retainUntil } : {}),
        ...(description ? { description } : {}),
      });
      setStep(`Registered ${name} (${local}).`);
      onDone();
    } catch (err) {
      setStep('');
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Register a dataset">
      <Field label="Name" hint="The job's data file is NAME.csv">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
      </Field>
      <Field label="CSV file" hint="Fingerprinted here, then checked against what the service stored.">
        <input
          name="file"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
          required
        />
      </Field>
      <Field label="Allowed purposes" hint="Comma-separated; a job's purpose must be one of them.">
        <input
          name="purposes"
          value={purposes}
          onInput={(e) => setPurposes(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Retain until (optional)">
        <input
          name="retainUntil"
          type="date"
          value={retainUntil}
          onInput={(e) => setRetainUntil(e.currentTarget.value)}
        />
      </Field>
      <Field label="Description (optional)">
        <input
          name="description"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
        />
      </Field>
      <button type="submit">Upload and register</button>
      {step ? <p role="status">{step}</p> : null}
      <ErrorBox error={error} title="Not registered" />
    </form>
  );
}

export function DatasetsPage({ session }: { session: Session; rest: string }) {
  const datasets = useLoad(() => session.client.listDatasets(), []);
  return (
    <>
      <h1>Datasets</h1>
      <div class="split">
        <Card title="Registered datasets">
          {datasets.loading && !datasets.data ? <Loading what="datasets" /> : null}
          <ErrorBox error={datasets.error} />
          {datasets.data?.length === 0 ? <p>No dataset registered yet.</p> : null}
          {datasets.data?.length ? (
            <table>
              <caption class="sr-only">Datasets and consent terms</caption>
              <thead>
                <tr>
                  <th scope="col">name</th>
                  <th scope="col">purposes allowed</th>
                  <th scope="col">retain until</th>
                  <th scope="col">fingerprint</th>
                  <th scope="col">registered</th>
                </tr>
              </thead>
              <tbody>
                {datasets.data.map((d) => (
                  <tr key={d.name}>
                    <td>
                      {d.name}
                      {d.description ? <div class="muted">{d.description}</div> : null}
                    </td>
                    <td>{d.purposes.join(', ')}</td>
                    <td>{d.retainUntil ?? '–'}</td>
                    <td>
                      <code class="fingerprint" title={d.fingerprint}>
                        {d.fingerprint.slice(0, 19)}…
                      </code>
                    </td>
                    <td>
                      {when(d.registeredAt)} by {d.registeredBy}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
        {session.can('datasets.manage') ? (
          <Card title="Register a dataset">
            <Register session={session} onDone={datasets.reload} />
          </Card>
        ) : null}
      </div>
    </>
  );
}
