import { optionalBool, requiredInt, requiredString } from '../protocol/index.ts';
import { createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/** END_TRANSACTION: the producer (or its answer to a check-back) commits or rolls back a half message. Usually oneway. */
export function registerEndTransactionProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.END_TRANSACTION, async (req) => {
    if (ctx.config.brokerRole === 'SLAVE') {
      throw new RequestRefusedError(ResponseCode.SLAVE_NOT_AVAILABLE, 'a slave does not end transactions');
    }
    const ext = req.extFields;
    const problem = await ctx.transactions.end({
      producerGroup: requiredString(ext, 'producerGroup'),
      tranStateTableOffset: requiredInt(ext, 'tranStateTableOffset'),
      commitLogOffset: requiredInt(ext, 'commitLogOffset'),
      commitOrRollback: requiredInt(ext, 'commitOrRollback'),
      fromTransactionCheck: optionalBool(ext, 'fromTransactionCheck') ?? false,
    });
    if (problem) {
      ctx.log.warn(`END_TRANSACTION refused: ${problem}`);
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, problem);
    }
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
