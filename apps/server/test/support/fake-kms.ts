// A KMS stand-in for contract tests at the AWS SDK boundary. KMS cannot
// run here, so this server on 127.0.0.1 speaks the JSON 1.1 protocol that
// the real client sends, for Encrypt, Decrypt and GenerateDataKey.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The key ARN that the stand-in returns in every successful response. */
export const KEY_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export interface KmsRequest {
  target: string;
  contentType: string;
  authorization: string;
  body: Record<string, unknown>;
}

/** A stand-in for KMS: AES-256-GCM under its own key, with the encryption context as AAD. */
export class FakeKms {
  readonly requests: KmsRequest[] = [];
  /** Plaintext data keys returned by GenerateDataKey, in order. */
  readonly dataKeys: Buffer[] = [];
  /** Error type and HTTP status that every request fails with, or null to succeed. */
  failWith: { type: string; status: number } | null = null;
  /** Body returned with status 200 for every request in place of the real result, or null. */
  respondWith: Record<string, unknown> | null = null;
  /** Close each connection without a response, as a broken network does. */
  hangUp = false;
  private readonly masterKey = randomBytes(32);
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      if (this.hangUp) {
        request.socket.destroy();
        return;
      }
      this.handle(request).then(
        ({ status, body }) => {
          response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify(body));
        },
        () => {
          response.writeHead(500).end();
        },
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private async handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    const target = String(request.headers['x-amz-target']);
    this.requests.push({
      target,
      contentType: String(request.headers['content-type']),
      authorization: String(request.headers.authorization),
      body,
    });

    if (this.failWith !== null) {
      return {
        status: this.failWith.status,
        body: { __type: this.failWith.type, message: 'stand-in failure' },
      };
    }
    if (this.respondWith !== null) {
      return { status: 200, body: this.respondWith };
    }
    const aad = Buffer.from(JSON.stringify(body.EncryptionContext ?? {}));
    if (target === 'TrentService.Encrypt') {
      const blob = this.encrypt(Buffer.from(String(body.Plaintext), 'base64'), aad);
      return {
        status: 200,
        body: {
          CiphertextBlob: blob.toString('base64'),
          KeyId: KEY_ARN,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
      };
    }
    if (target === 'TrentService.GenerateDataKey') {
      if (body.KeySpec !== 'AES_256') {
        return { status: 400, body: { __type: 'ValidationException', message: 'stand-in' } };
      }
      const dataKey = randomBytes(32);
      this.dataKeys.push(dataKey);
      return {
        status: 200,
        body: {
          CiphertextBlob: this.encrypt(dataKey, aad).toString('base64'),
          Plaintext: dataKey.toString('base64'),
          KeyId: KEY_ARN,
        },
      };
    }
    if (target === 'TrentService.Decrypt') {
      const blob = Buffer.from(String(body.CiphertextBlob), 'base64');
      try {
        const decipher = createDecipheriv(
          'aes-256-gcm',
          this.masterKey,
          blob.subarray(0, 12),
        ).setAAD(aad);
        decipher.setAuthTag(blob.subarray(12, 28));
        const plain = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
        return {
          status: 200,
          body: {
            Plaintext: plain.toString('base64'),
            KeyId: KEY_ARN,
            EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          },
        };
      } catch {
        return { status: 400, body: { __type: 'InvalidCiphertextException', message: 'stand-in' } };
      }
    }
    return { status: 400, body: { __type: 'UnknownOperationException' } };
  }

  /** Encrypt `plaintext` and return IV, tag and ciphertext, the layout that Decrypt reads. */
  private encrypt(plaintext: Buffer, aad: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv).setAAD(aad);
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]);
  }
}
