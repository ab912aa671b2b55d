import { Command } from 'commander';
import { addFleetRegisterCommand, type FleetRegisterCommandDeps } from './fleet-register';

/** `keyless fleet …`: the operator's view of Fleet stacks and bulk registration. */
export function addFleetCommands(program: Command, deps: FleetRegisterCommandDeps): Command {
  const fleet = program
    .command('fleet')
    .description(
      'Fleet stacks and bulk registration: where things land, and registering fleets beyond CloudFormation',
    );
  addFleetRegisterCommand(fleet, deps);
  return fleet;
}
