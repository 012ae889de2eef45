// Command tern-go-interop drives the official Apache RocketMQ Go client (rocketmq-client-go/v2) against a
// broker (Tern or Apache RocketMQ) for the conformance suite. One scenario per run:
//
//	tern-go-interop roundtrip -n 127.0.0.1:9876 -t TOPIC -g GROUP [-c 20] [-timeout 60s]
//
// roundtrip: a producer sends COUNT messages synchronously (key go-<i>, tag TagA), then a clustering push
// consumer (from the first offset) must receive every one with the body it was sent with. Prints
// "SENT ok=N" and "RECEIVED distinct=N" and exits 0 only when both reach COUNT.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "roundtrip" {
		fmt.Fprintln(os.Stderr, "usage: tern-go-interop roundtrip -n NAMESRV -t TOPIC -g GROUP [-c COUNT] [-timeout DURATION]")
		os.Exit(2)
	}
	flags := flag.NewFlagSet("roundtrip", flag.ExitOnError)
	namesrv := flags.String("n", "127.0.0.1:9876", "name server address")
	topic := flags.String("t", "", "topic")
	group := flags.String("g", "", "consumer group")
	count := flags.Int("c", 20, "messages to send and receive")
	timeout := flags.Duration("timeout", 60*time.Second, "how long the consumer may take")
	_ = flags.Parse(os.Args[2:])
	if *topic == "" || *group == "" {
		fmt.Fprintln(os.Stderr, "-t and -g are required")
		os.Exit(2)
	}
	level := os.Getenv("GO_CLIENT_LOG_LEVEL") // debug|info|warn|error
	if level == "" {
		level = "warn"
	}
	rlog.SetLogLevel(level)
	if err := roundtrip(*namesrv, *topic, *group, *count, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "roundtrip failed:", err)
		os.Exit(1)
	}
}

func bodyOf(i int) string { return fmt.Sprintf("go body %d", i) }

func roundtrip(namesrv, topic, group string, count int, timeout time.Duration) error {
	resolver := primitive.NewPassthroughResolver([]string{namesrv})
	p, err := rocketmq.NewProducer(producer.WithNsResolver(resolver), producer.WithGroupName(group+"_producer"),
		producer.WithRetry(2))
	if err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("producer start: %w", err)
	}
	sent := 0
	for i := 0; i < count; i++ {
		msg := primitive.NewMessage(topic, []byte(bodyOf(i)))
		msg.WithTag("TagA")
		msg.WithKeys([]string{fmt.Sprintf("go-%d", i)})
		res, err := p.SendSync(context.Background(), msg)
		if err != nil {
			_ = p.Shutdown()
			return fmt.Errorf("send %d: %w", i, err)
		}
		if res.Status != primitive.SendOK {
			_ = p.Shutdown()
			return fmt.Errorf("send %d: status %d", i, res.Status)
		}
		sent++
	}
	_ = p.Shutdown()
	fmt.Printf("SENT ok=%d\n", sent)

	var mu sync.Mutex
	seen := map[string]bool{}
	bad := ""
	done := make(chan struct{})
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(resolver), consumer.WithGroupName(group),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		return err
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			key := m.GetKeys()
			var i int
			if _, err := fmt.Sscanf(key, "go-%d", &i); err != nil || string(m.Body) != bodyOf(i) || m.GetTags() != "TagA" {
				bad = fmt.Sprintf("unexpected message key=%q tag=%q body=%q", key, m.GetTags(), m.Body)
			}
			seen[key] = true
		}
		if len(seen) >= count {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("consumer start: %w", err)
	}
	select {
	case <-done:
	case <-time.After(timeout):
	}
	_ = c.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf("RECEIVED distinct=%d\n", len(seen))
	if bad != "" {
		return fmt.Errorf("%s", bad)
	}
	if len(seen) < count {
		return fmt.Errorf("received %d of %d messages within %s", len(seen), count, timeout)
	}
	return nil
}
