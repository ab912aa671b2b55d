import type { Command } from 'commander';
import { registerFleetPlanCommand, type FleetPlanCommandDeps } from './fleet-plan';
import { registerFleetRegisterCommand, type FleetRegisterCommandDeps } from './fleet-register';

/** `keyless fleet …`: the operator's view of Fleet stacks, and bulk registration beyond them. */
export function registerFleetCommands(
  program: Command,
  deps: FleetPlanCommandDeps & FleetRegisterCommandDeps = {},
): Command {
  const fleet = program
    .command('fleet')
    .description(
      'Fleet stacks and bulk registration: where things land, and registering fleets beyond CloudFormation',
    );
  registerFleetPlanCommand(fleet, deps);
  registerFleetRegisterCommand(fleet, deps);
  return fleet;
}
