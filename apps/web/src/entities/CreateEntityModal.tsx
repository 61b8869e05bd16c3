import { Button, Group, Modal, NativeSelect, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { type CreateEntityInput, createEntityInputSchema } from '@peytonix/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { ownAccessKeys } from '../shared/own-access.ts';
import { validateWith } from '../shared/zod-validator.ts';
import { EntitySelect } from './EntitySelect.tsx';
import { createEntity } from './entities-api.ts';
import type { EntityInScope } from './entity-access.ts';
import { ENTITY_TYPE_LABELS } from './entity-tree.ts';

type ChildType = CreateEntityInput['type'];

const CHILD_TYPES: readonly ChildType[] = createEntityInputSchema.shape.type.options;

/**
 * Dialog that creates an entity below one of `parents`: the active entities
 * on which the user has entities.manage.
 */
export function CreateEntityModal({
  opened,
  onClose,
  parents,
  onCreated,
}: {
  opened: boolean;
  onClose: () => void;
  parents: readonly EntityInScope[];
  onCreated: (code: string) => void;
}) {
  const queryClient = useQueryClient();
  const form = useForm<CreateEntityInput>({
    initialValues: {
      parentCode: parents[0]?.code ?? '',
      type: 'business_unit',
      code: '',
      name: '',
    },
    validate: {
      parentCode: validateWith(createEntityInputSchema.shape.parentCode),
      code: validateWith(createEntityInputSchema.shape.code),
      name: validateWith(createEntityInputSchema.shape.name),
    },
  });
  const create = useMutation({
    mutationFn: createEntity,
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ownAccessKeys.entities });
      form.reset();
      onCreated(created.code);
    },
  });

  return (
    <Modal opened={opened} onClose={onClose} title="Create an entity">
      <form onSubmit={form.onSubmit((values) => create.mutate(values))}>
        <Stack>
          <EntitySelect
            entities={parents}
            label="Parent"
            description="The new entity belongs to this one. Grants on the parent cover it too."
            required
            value={form.values.parentCode}
            onChange={(code) => form.setFieldValue('parentCode', code)}
          />
          <NativeSelect
            label="Type"
            required
            data={CHILD_TYPES.map((type) => ({ value: type, label: ENTITY_TYPE_LABELS[type] }))}
            {...form.getInputProps('type')}
          />
          <TextInput
            label="Code"
            description="1 to 64 letters, digits, dots, dashes or underscores, such as AP or ENG-2024. Codes are unique and cannot change."
            required
            {...form.getInputProps('code')}
          />
          <TextInput label="Name" required maxLength={200} {...form.getInputProps('name')} />
          {create.isError && (
            <ErrorAlert error={create.error} title="The entity could not be created" />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create entity
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
