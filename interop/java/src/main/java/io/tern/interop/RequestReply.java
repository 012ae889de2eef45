package io.tern.interop;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/** Request-reply with the official Java client: a requester (producer.request) and a responder (createReplyMessage). */
final class RequestReply {
    private RequestReply() {
    }

    /**
     * Sends COUNT requests one after the other; prints "REPLY i body" per answer. Exit 0 when all were answered.
     * Uses the callback form: the blocking request(msg, timeout) of clients 5.3.1+ gives up as soon as the request
     * is sent (apache/rocketmq issue 9292), before any reply can come.
     */
    static int request(Main.Options o) throws Exception {
        int count = o.integer("-c", 1);
        long timeout = o.integer("--timeout-ms", 10_000);
        DefaultMQProducer producer = new DefaultMQProducer(o.get("--group", "java-requester"));
        producer.setNamesrvAddr(o.required("-n"));
        producer.start();
        int answered = 0;
        try {
            for (int i = 0; i < count; i++) {
                Message request = new Message(o.required("-t"), ("java-request-" + i).getBytes(StandardCharsets.UTF_8));
                CompletableFuture<Message> reply = new CompletableFuture<>();
                producer.request(request, new RequestCallback() {
                    @Override
                    public void onSuccess(Message message) {
                        // 5.3.x also calls this when the request is sent, with no message yet: wait for the reply.
                        if (message != null) {
                            reply.complete(message);
                        }
                    }

                    @Override
                    public void onException(Throwable e) {
                        reply.completeExceptionally(e);
                    }
                }, timeout);
                try {
                    Message m = reply.get(timeout + 1_000, TimeUnit.MILLISECONDS);
                    System.out.println("REPLY " + i + " " + new String(m.getBody(), StandardCharsets.UTF_8));
                    answered++;
                } catch (Exception e) {
                    System.err.println("request " + i + " failed: " + e);
                }
            }
        } finally {
            producer.shutdown();
        }
        System.out.println("ANSWERED " + answered);
        return answered == count ? 0 : 1;
    }

    /** Answers COUNT requests with "java-reply:<request body>", then exits. */
    static int respond(Main.Options o) throws Exception {
        int count = o.integer("-c", 1);
        DefaultMQProducer replier = new DefaultMQProducer(o.get("--group", "java-replier"));
        replier.setNamesrvAddr(o.required("-n"));
        replier.start();
        AtomicInteger replied = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(count);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(o.required("-g"));
        consumer.setNamesrvAddr(o.required("-n"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(o.required("-t"), "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
            for (MessageExt m : messages) {
                try {
                    Message reply = MessageUtil.createReplyMessage(m, ("java-reply:" + new String(m.getBody(), StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8));
                    replier.send(reply);
                    replied.incrementAndGet();
                    done.countDown();
                } catch (Exception e) {
                    System.err.println("reply to " + m.getMsgId() + " failed: " + e);
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        System.out.println("RESPONDER READY");
        boolean all = done.await(o.integer("--timeout-ms", 60_000), TimeUnit.MILLISECONDS);
        consumer.shutdown();
        replier.shutdown();
        System.out.println("REPLIED " + replied.get());
        return all ? 0 : 1;
    }
}
