import { ObjectCache, ObjectStore } from '@sigdesk/storage';
import { CompiledRulesets, CompiledRulesetsRepository } from '@sigdesk/signatures';
import type { TestEnvironment } from '@sigdesk/testing';

/**
 * What another process has: the same database and bucket, no compiled ruleset in memory. Shut each down after the
 * tests (`onApplicationShutdown`): the instances made are pushed to `made`.
 */
export function anotherProcess(env: TestEnvironment, made: CompiledRulesets[]): CompiledRulesets {
  const app = env.sigdesk.app;
  const instance = new CompiledRulesets(
    env.config,
    app.get(CompiledRulesetsRepository),
    app.get(ObjectStore),
    app.get(ObjectCache),
  );
  made.push(instance);
  return instance;
}
