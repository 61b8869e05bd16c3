import { Box, Container, Paper, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** Frame of the screens outside the app shell: sign-in, first password and MFA enrolment. */
export function AuthLayout({ children, width = 440 }: { children: ReactNode; width?: number }) {
  return (
    <Box bg="var(--mantine-color-gray-light)" mih="100vh">
      <Box component="header" py="md" px="lg">
        <Text fw={700} size="xl">
          Peytonix
        </Text>
      </Box>
      <Container component="main" size={width} py="xl">
        <Paper withBorder shadow="sm" p="xl" radius="md">
          {children}
        </Paper>
      </Container>
    </Box>
  );
}
