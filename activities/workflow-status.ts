// Owns reading another workflow's state through the worker's own Temporal client: the late-payment
// workflow settles a charge only once the reservation workflow that was told of it can no longer act.
import { getClient } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';

/** Whether a reservation's workflow can still act on a payment ("running"), or never will ("ended"). */
export type ReservationWorkflowState = 'running' | 'ended';

export function createWorkflowStatusActivities() {
  return {
    async reservationWorkflowState(input: { reservationId: string }): Promise<ReservationWorkflowState> {
      try {
        const { status } = await getClient().workflow.getHandle(input.reservationId).describe();
        return status.name === 'RUNNING' || status.name === 'PAUSED' ? 'running' : 'ended';
      } catch (error) {
        // Gone from Temporal (retention passed, or never started): nothing will act on its money.
        if (error instanceof WorkflowNotFoundError) return 'ended';
        throw error;
      }
    },
  };
}

export type WorkflowStatusActivities = ReturnType<typeof createWorkflowStatusActivities>;
