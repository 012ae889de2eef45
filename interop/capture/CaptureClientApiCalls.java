import java.util.List;
import org.apache.rocketmq.client.impl.MQClientAPIImpl;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageDecoder;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;

// Drives the official Java client's request methods (MQClientAPIImpl: the calls its producers, consumers and
// admin tools make) once each, so that a recording proxy in front of the servers captures the request headers.
// Run by scripts/capture-client-api-fixtures.sh:  java -cp '.cache/interop/java/lib/*' CaptureClientApiCalls.java
//   NAMESRV BROKER BROKER_NAME CLUSTER
public class CaptureClientApiCalls {
  interface Call { void run() throws Exception; }

  static void step(String what, Call call) {
    try {
      call.run();
      System.out.println("OK   " + what);
    } catch (Exception e) {
      // The request frame is what we capture; a refusal by the server still leaves it on the wire.
      System.out.println("FAIL " + what + ": " + e);
    }
  }

  public static void main(String[] args) throws Exception {
    String namesrv = args[0], broker = args[1], brokerName = args[2], cluster = args[3];
    String topic = "CaptureTopic", group = "CaptureGroup", key = "capture-key";
    long timeout = 5000;

    DefaultMQProducer producer = new DefaultMQProducer("CaptureProducerGroup");
    producer.setNamesrvAddr(namesrv);
    producer.start();
    MQClientAPIImpl api = producer.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl();

    step("createTopic", () -> api.createTopic(broker, "TBW102", new TopicConfig(topic, 4, 4, 6), timeout));
    SendResult sent = null;
    for (int i = 0; i < 50 && sent == null; i++) {
      try {
        sent = producer.send(new Message(topic, "TagA", key, "capture body".getBytes()), new MessageQueue(topic, brokerName, 1));
      } catch (Exception e) {
        Thread.sleep(200);
      }
    }
    if (sent == null) throw new IllegalStateException("could not send to " + topic);
    final SendResult result = sent;
    MessageQueue mq = result.getMessageQueue();
    long phyOffset = MessageDecoder.decodeMessageId(result.getOffsetMsgId()).getOffset();
    System.out.println("sent " + result);

    step("getMaxOffset", () -> api.getMaxOffset(broker, mq, timeout));
    step("getMinOffset", () -> api.getMinOffset(broker, mq, timeout));
    step("getEarliestMsgStoretime", () -> api.getEarliestMsgStoretime(broker, mq, timeout));
    step("searchOffset", () -> api.searchOffset(broker, mq, System.currentTimeMillis() - 60_000, timeout));
    MessageExt[] viewed = new MessageExt[1];
    step("viewMessage", () -> viewed[0] = api.viewMessage(broker, topic, phyOffset, timeout));
    step("queryMessage by key", () -> producer.queryMessage(topic, key, 32, 0, Long.MAX_VALUE));
    step("queryMessage by unique key", () -> producer.viewMessage(topic, result.getMsgId()));
    step("consumerSendMessageBack", () -> api.consumerSendMessageBack(broker, brokerName, viewed[0], group, 0, timeout, 16));
    step("getTopicConfig", () -> api.getTopicConfig(broker, topic, timeout));
    step("getTopicStatsInfo", () -> api.getTopicStatsInfo(broker, topic, timeout));
    step("getConsumeStats", () -> api.getConsumeStats(broker, group, topic, timeout));
    step("queryTopicConsumeByWho", () -> api.queryTopicConsumeByWho(broker, topic, timeout));
    // No consumer of the group is online: the broker refuses, which still puts the request on the wire.
    step("getConsumerConnectionList", () -> api.getConsumerConnectionList(broker, group, timeout));
    step("getProducerConnectionList", () -> api.getProducerConnectionList(broker, "CaptureProducerGroup", timeout));
    step("invokeBrokerToResetOffset", () -> api.invokeBrokerToResetOffset(broker, topic, group, System.currentTimeMillis(), true, timeout));

    TransactionMQProducer tx = new TransactionMQProducer("CaptureTxProducerGroup");
    tx.setNamesrvAddr(namesrv);
    tx.setTransactionListener(new TransactionListener() {
      public LocalTransactionState executeLocalTransaction(Message msg, Object arg) { return LocalTransactionState.COMMIT_MESSAGE; }
      public LocalTransactionState checkLocalTransaction(MessageExt msg) { return LocalTransactionState.COMMIT_MESSAGE; }
    });
    tx.start();
    step("sendMessageInTransaction (END_TRANSACTION oneway)", () -> tx.sendMessageInTransaction(new Message(topic, "TagA", "tx-key", "tx body".getBytes()), null));
    Thread.sleep(500);
    tx.shutdown();

    step("putKVConfigValue", () -> api.putKVConfigValue("CaptureNamespace", "capture-key", "capture-value", timeout));
    step("getKVConfigValue", () -> api.getKVConfigValue("CaptureNamespace", "capture-key", timeout));
    step("getKVListByNamespace", () -> api.getKVListByNamespace("CaptureNamespace", timeout));
    step("deleteKVConfigValue", () -> api.deleteKVConfigValue("CaptureNamespace", "capture-key", timeout));
    step("getTopicsByCluster", () -> api.getTopicsByCluster(cluster, timeout));
    step("deleteSubscriptionGroup", () -> api.deleteSubscriptionGroup(broker, group, true, timeout));
    step("deleteTopicInBroker", () -> api.deleteTopicInBroker(broker, topic, timeout));
    step("deleteTopicInNameServer", () -> api.deleteTopicInNameServer(namesrv, cluster, topic, timeout));
    step("wipeWritePermOfBroker", () -> api.wipeWritePermOfBroker(namesrv, brokerName, timeout));
    producer.shutdown();
  }
}
