package io.tern.interop;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageClientIDSetter;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.RPCHook;

/**
 * Drives the official RocketMQ Java client from the command line so tests can check a broker
 * (Tern or Apache) against it. Output on stdout is line-oriented and meant for scripts;
 * diagnostics go to stderr. Exit status 0 means the run met its goal.
 */
public final class Main {
    private static final String USAGE = String.join("\n",
        "usage:",
        "  produce -n NAMESRV -t TOPIC -c COUNT [--mode sync|async|oneway] [--size BYTES] [--group G]",
        "          [--tag TAG] [--key-prefix P] [--ack-log FILE] [--batch N] [--window N] [--timeout-ms T]",
        "          [--deliver-in-ms MS]   (timer message: Message.setDeliverTimeMs(now + MS))",
        "          [--delay-ms MS]        (timer message: Message.setDelayTimeMs(MS))",
        "          [--recall-first K]     (sync: then DefaultMQProducer.recallMessage for the first K sent; RECALLED lines)",
        "  consume -n NAMESRV -t TOPIC -g GROUP -c COUNT [--timeout-ms T] [--from first|last]",
        "          [--print keys|bodies] [--tag EXPR] [--linger-ms MS] [--orderly true] [--idle-exit-ms MS]",
        "  request -n NAMESRV -t TOPIC -c COUNT [--timeout-ms T]   (DefaultMQProducer.request, prints REPLY lines)",
        "  respond -n NAMESRV -t TOPIC -g GROUP -c COUNT [--timeout-ms T]   (answers COUNT requests with createReplyMessage)",
        "  produce/consume: [--access-key AK --secret-key SK]   (sign requests with AclClientRPCHook)");

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            fail(USAGE);
        }
        Options options = Options.parse(args, 1);
        try {
            int status = switch (args[0]) {
                case "produce" -> produce(options);
                case "consume" -> consume(options);
                case "request" -> RequestReply.request(options);
                case "respond" -> RequestReply.respond(options);
                default -> fail("unknown subcommand " + args[0] + "\n" + USAGE);
            };
            System.out.flush();
            // Client threads (netty, schedulers) may outlive shutdown(); do not wait for them.
            System.exit(status);
        } catch (Exception e) {
            e.printStackTrace();
            fail(args[0] + " failed: " + e);
        }
    }

    /** Message i of a run: key prefix+i, body a deterministic pattern so consumers can verify it. */
    static byte[] body(int i, int size) {
        byte[] body = new byte[size];
        for (int j = 0; j < size; j++) {
            body[j] = (byte) ('a' + (i + j) % 26);
        }
        return body;
    }

    private static int produce(Options o) throws Exception {
        String namesrv = o.required("-n");
        String topic = o.required("-t");
        int count = o.integer("-c", -1);
        String mode = o.get("--mode", "sync");
        int size = o.integer("--size", 64);
        int batch = o.integer("--batch", 1);
        String tag = o.get("--tag", "TagA");
        String keyPrefix = o.get("--key-prefix", "key-");
        int deliverInMs = o.integer("--deliver-in-ms", -1);
        int delayMs = o.integer("--delay-ms", -1);
        int recallFirst = o.integer("--recall-first", 0);
        if (count < 0) {
            fail("produce: -c COUNT is required");
        }
        if (batch > 1 && !mode.equals("sync")) {
            fail("produce: --batch works with --mode sync only");
        }

        DefaultMQProducer producer = new DefaultMQProducer(o.get("--group", "tern_interop_producer"), aclHook(o));
        producer.setNamesrvAddr(namesrv);
        producer.start();
        AckLog ackLog = new AckLog(o.get("--ack-log", null));
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        try {
            List<Message> messages = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Message message = new Message(topic, tag, keyPrefix + i, body(i, size));
                if (deliverInMs >= 0) {
                    message.setDeliverTimeMs(System.currentTimeMillis() + deliverInMs);
                }
                if (delayMs >= 0) {
                    message.setDelayTimeMs(delayMs);
                }
                messages.add(message);
            }
            switch (mode) {
                case "sync" -> {
                    for (int from = 0; from < count; from += batch) {
                        List<Message> chunk = messages.subList(from, Math.min(count, from + batch));
                        try {
                            SendResult result = chunk.size() == 1 ? producer.send(chunk.get(0)) : producer.send(chunk);
                            record(result, chunk, ok, failed, ackLog);
                            if (from < recallFirst) {
                                recall(producer, topic, chunk.get(0).getKeys(), result.getRecallHandle());
                            }
                        } catch (Exception e) {
                            failed.addAndGet(chunk.size());
                            reportFailure(chunk.get(0).getKeys(), e);
                        }
                    }
                }
                case "async" -> {
                    Semaphore window = new Semaphore(o.integer("--window", 128));
                    CountDownLatch done = new CountDownLatch(count);
                    for (Message message : messages) {
                        window.acquire();
                        producer.send(message, new SendCallback() {
                            @Override
                            public void onSuccess(SendResult result) {
                                record(result, List.of(message), ok, failed, ackLog);
                                window.release();
                                done.countDown();
                            }

                            @Override
                            public void onException(Throwable e) {
                                failed.incrementAndGet();
                                reportFailure(message.getKeys(), e);
                                window.release();
                                done.countDown();
                            }
                        });
                    }
                    if (!done.await(o.integer("--timeout-ms", 120_000), TimeUnit.MILLISECONDS)) {
                        System.err.println("timed out waiting for " + done.getCount() + " async callbacks");
                    }
                }
                case "oneway" -> {
                    for (Message message : messages) {
                        try {
                            producer.sendOneway(message);
                            ok.incrementAndGet();
                        } catch (Exception e) {
                            failed.incrementAndGet();
                            reportFailure(message.getKeys(), e);
                        }
                    }
                }
                default -> fail("produce: --mode must be sync, async or oneway");
            }
        } finally {
            producer.shutdown();
            ackLog.close();
        }
        System.out.println("SENT ok=" + ok.get() + " failed=" + failed.get());
        return ok.get() == count ? 0 : 1;
    }

    /** Recalls one timer message by the handle its send returned; prints RECALLED key msgId or RECALL_FAILED key why. */
    private static void recall(DefaultMQProducer producer, String topic, String key, String handle) {
        try {
            System.out.println("RECALLED " + key + " " + producer.recallMessage(topic, handle));
        } catch (Exception e) {
            System.out.println("RECALL_FAILED " + key + " " + e);
        }
    }

    private static void record(SendResult result, List<Message> sent, AtomicInteger ok, AtomicInteger failed,
        AckLog ackLog) {
        if (result.getSendStatus() != SendStatus.SEND_OK) {
            failed.addAndGet(sent.size());
            reportFailure(sent.get(0).getKeys(), result.getSendStatus());
            return;
        }
        ok.addAndGet(sent.size());
        for (Message message : sent) {
            // The client stamps every message (batch members too) with its unique id before sending.
            ackLog.write(MessageClientIDSetter.getUniqID(message) + " " + message.getKeys());
        }
    }

    private static final AtomicInteger FAILURES_REPORTED = new AtomicInteger();

    /** Describes the first few failed sends on stderr; the SENT line carries the total. */
    private static void reportFailure(String key, Object why) {
        int n = FAILURES_REPORTED.incrementAndGet();
        if (n <= 10) {
            StringBuilder text = new StringBuilder("send of " + key + " failed: " + why);
            // After its retries the client wraps the broker's answer (code and remark) as the cause: show it.
            for (Throwable cause = why instanceof Throwable t ? t.getCause() : null; cause != null; cause = cause.getCause()) {
                text.append("\n  caused by: ").append(cause);
            }
            System.err.println(text);
        } else if (n == 11) {
            System.err.println("(further send failures not shown)");
        }
    }

    private static int consume(Options o) throws Exception {
        String topic = o.required("-t");
        int count = o.integer("-c", -1);
        boolean printBodies = o.get("--print", "keys").equals("bodies");
        if (count < 0) {
            fail("consume: -c COUNT is required");
        }

        Set<String> distinct = ConcurrentHashMap.newKeySet();
        AtomicInteger total = new AtomicInteger();
        CountDownLatch enough = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(o.required("-g"), aclHook(o));
        consumer.setNamesrvAddr(o.required("-n"));
        consumer.setConsumeFromWhere(o.get("--from", "first").equals("last")
            ? ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, o.get("--tag", "*"));
        AtomicLong lastAt = new AtomicLong();
        java.util.function.Consumer<List<MessageExt>> handle = (messages) -> {
            for (MessageExt m : messages) {
                String line = printBodies
                    ? "BODY " + m.getKeys() + " " + new String(m.getBody(), StandardCharsets.UTF_8)
                    : "KEY " + m.getKeys() + " " + m.getQueueId() + " " + m.getQueueOffset() + " " + m.getBody().length;
                synchronized (System.out) {
                    System.out.println(line);
                }
                total.incrementAndGet();
                lastAt.set(System.nanoTime());
                if (distinct.add(String.valueOf(m.getKeys())) && distinct.size() >= count) {
                    enough.countDown();
                }
            }
        };
        if (o.get("--orderly", "false").equals("true")) {
            consumer.registerMessageListener((MessageListenerOrderly) (messages, context) -> {
                handle.accept(messages);
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
                handle.accept(messages);
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }
        consumer.start();
        boolean complete = count == 0 || awaitEnough(enough, lastAt, o.integer("--timeout-ms", 60_000), o.integer("--idle-exit-ms", 0));
        // The listener counts a message before the client records its offset as consumed; linger so that
        // shutdown persists (UPDATE_CONSUMER_OFFSET) offsets that cover everything printed.
        Thread.sleep(o.integer("--linger-ms", 1000));
        consumer.shutdown();
        synchronized (System.out) {
            System.out.println("RECEIVED distinct=" + distinct.size() + " total=" + total.get());
        }
        if (!complete) {
            System.err.println("timed out with " + distinct.size() + " of " + count + " distinct keys");
        }
        return complete || distinct.size() >= count ? 0 : 1;
    }

    /** The official ACL signing hook when --access-key is given, else none (unsigned requests). */
    private static RPCHook aclHook(Options o) {
        String accessKey = o.get("--access-key", null);
        return accessKey == null ? null : new AclClientRPCHook(new SessionCredentials(accessKey, o.required("--secret-key")));
    }

    /**
     * Until COUNT distinct keys arrived or the timeout; with idleExitMs > 0 also once messages came and then
     * none for that long (a member of a group that reads only its share).
     */
    private static boolean awaitEnough(CountDownLatch enough, AtomicLong lastAt, long timeoutMs, long idleExitMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (enough.await(100, TimeUnit.MILLISECONDS)) {
                return true;
            }
            long last = lastAt.get();
            if (idleExitMs > 0 && last != 0 && System.nanoTime() - last > TimeUnit.MILLISECONDS.toNanos(idleExitMs)) {
                return true;
            }
        }
        return false;
    }

    static int fail(String message) {
        System.err.println(message);
        System.exit(2);
        return 2;
    }

    /** Appends "<msgId> <key>" lines; a no-op when no file was asked for. */
    private static final class AckLog {
        private final PrintWriter out;

        AckLog(String file) throws IOException {
            out = file == null ? null : new PrintWriter(Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8));
        }

        synchronized void write(String line) {
            if (out != null) {
                out.println(line);
            }
        }

        synchronized void close() {
            if (out != null) {
                out.close();
            }
        }
    }

    /** "-x value" / "--name value" pairs after the subcommand. */
    record Options(Map<String, String> values) {
        static Options parse(String[] args, int from) {
            Map<String, String> values = new HashMap<>();
            for (int i = from; i < args.length; i += 2) {
                if (!args[i].startsWith("-") || i + 1 >= args.length) {
                    fail("expected '-option value' at: " + args[i] + "\n" + USAGE);
                }
                values.put(args[i], args[i + 1]);
            }
            return new Options(values);
        }

        String get(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        String required(String name) {
            String value = values.get(name);
            if (value == null) {
                fail("missing required option " + name + "\n" + USAGE);
            }
            return value;
        }

        int integer(String name, int fallback) {
            String value = values.get(name);
            try {
                return value == null ? fallback : Integer.parseInt(value);
            } catch (NumberFormatException e) {
                fail("option " + name + " expects an integer, got " + value);
                return fallback;
            }
        }
    }
}
