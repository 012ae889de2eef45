import { decodeEndTransactionHeader } from '../protocol/index.ts';
import { createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';

/** END_TRANSACTION: the producer (or its answer to a check-back) commits or rolls back a half message. Usually oneway. */
export function registerEndTransactionProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.END_TRANSACTION, async (req) => {
    if (ctx.config.brokerRole === 'SLAVE') {
      throw new RequestRefusedError(ResponseCode.SLAVE_NOT_AVAILABLE, 'a slave does not end transactions');
    }
    const problem = await ctx.transactions.end(decodeEndTransactionHeader(req.extFields), (topic, committed) => ctx.metrics.transactionEnded(topic, committed));
    if (problem) {
      ctx.log.warn(`END_TRANSACTION refused: ${problem}`);
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, problem);
    }
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
