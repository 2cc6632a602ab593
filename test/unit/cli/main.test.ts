import * as k8s from '@kubernetes/client-node';
import { App } from 'cdk8s';
import { main } from '../../../cli/main.ts';
test('cli loads', async () => {
  expect(typeof main).toBe('function');
  expect(typeof k8s.KubeConfig).toBe('function');
  expect(typeof App).toBe('function');
});
