import { type CreateEntityInput, entitySchema } from '@peytonix/contracts';
import { apiRequest } from '../api/client.ts';

export function createEntity(input: CreateEntityInput) {
  return apiRequest('/api/v1/entities', { method: 'POST', body: input, schema: entitySchema });
}
