import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { storageOrigins } from '../../src/platform/http/security.ts';

const S3 = {
  PEYTONIX_STORAGE: 's3',
  PEYTONIX_S3_KMS_KEY_ID: 'alias/peytonix-evidence',
  PEYTONIX_AWS_REGION: 'eu-west-1',
};

describe('storage origins in connect-src', () => {
  it('adds none for local storage', () => {
    expect(storageOrigins(loadConfig({}))).toEqual([]);
  });

  it('adds the virtual host of an AWS bucket', () => {
    const config = loadConfig({ ...S3, PEYTONIX_S3_BUCKET: 'acme-evidence' });

    expect(storageOrigins(config)).toEqual(['https://acme-evidence.s3.eu-west-1.amazonaws.com']);
  });

  it('adds the regional endpoint for a bucket name with dots', () => {
    const config = loadConfig({ ...S3, PEYTONIX_S3_BUCKET: 'acme.evidence' });

    expect(storageOrigins(config)).toEqual(['https://s3.eu-west-1.amazonaws.com']);
  });

  it('adds the origin of an S3-compatible endpoint', () => {
    const config = loadConfig({
      ...S3,
      PEYTONIX_S3_BUCKET: 'acme-evidence',
      PEYTONIX_S3_ENDPOINT: 'http://127.0.0.1:4568/',
    });

    expect(storageOrigins(config)).toEqual(['http://127.0.0.1:4568']);
  });
});
