// lazyfs: a FUSE filesystem over a backing directory that keeps every write in memory until the
// file is fsynced or fdatasynced, and on command forgets all of it at once, the way a power cut
// loses the page cache (the idea of Jepsen's LazyFS). The store's fault run mounts it under the
// broker's store and crashes it at the instant it SIGKILLs the broker.
//
// What is volatile (lost by a crash unless the file was fsynced or fdatasynced; both persist data and size):
//   - file data, and file size: writes past the end, truncate/ftruncate, O_TRUNC.
//
// What is durable at once (a real filesystem may lose these too; not modelled, so a missing directory
// fsync goes unnoticed, while a rename done before the data's fsync is caught: the data is lost):
//   - create, mkdir, rename, unlink, rmdir, link, symlink, chmod/chown/utimes; directory fsync does nothing.
//
// Refused: fallocate (EOPNOTSUPP). Not emulated: SEEK_DATA/SEEK_HOLE (the whole file is data).
//
// Control: a Unix socket (-control), one command per line, one answer line each:
//
//	unsynced      -> "<bytes> <files>": unsynced bytes and files holding them
//	crash <keep>  -> freezes (every later change fails with EIO), drops every unsynced byte and size
//	                 change; keep > 0 writes the first keep bytes of the page written last (a torn write)
//
// The process unmounts and exits on SIGTERM, SIGINT or end of stdin (its parent died). Without a
// crash before, unmounting writes everything back, as a clean shutdown does.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	backing := flag.String("backing", "", "directory that holds what was synced")
	mountPoint := flag.String("mount", "", "where to mount")
	control := flag.String("control", "", "Unix socket for commands")
	flag.Parse()
	if *backing == "" || *mountPoint == "" || *control == "" {
		fmt.Fprintln(os.Stderr, "usage: lazyfs -backing DIR -mount DIR -control SOCKET")
		os.Exit(2)
	}
	if err := run(*backing, *mountPoint, *control); err != nil {
		fmt.Fprintf(os.Stderr, "lazyfs: %v\n", err)
		os.Exit(1)
	}
}

func run(backing, mountPoint, control string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(backing, &st); err != nil {
		return fmt.Errorf("backing directory %s: %w", backing, err)
	}
	store := newVolatileStore()
	root := &fs.LoopbackRoot{Path: backing, Dev: uint64(st.Dev)}
	root.NewNode = func(r *fs.LoopbackRoot, _ *fs.Inode, _ string, _ *syscall.Stat_t) fs.InodeEmbedder {
		return &lazyNode{LoopbackNode: fs.LoopbackNode{RootData: r}, store: store}
	}
	root.RootNode = root.NewNode(root, nil, "", &st)

	os.Remove(control)
	listener, err := net.Listen("unix", control)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	defer os.Remove(control)

	second := time.Second
	server, err := fs.Mount(mountPoint, root.RootNode, &fs.Options{
		MountOptions: fuse.MountOptions{DirectMountStrict: true, FsName: "lazyfs:" + backing, Name: "lazyfs", DisableXAttrs: true},
		AttrTimeout:  &second,
		EntryTimeout: &second,
	})
	if err != nil {
		return fmt.Errorf("mount %s: %w", mountPoint, err)
	}

	done := make(chan string, 3)
	go func() {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
		done <- (<-sigs).String()
	}()
	go func() {
		// Our parent holds the other end of stdin: end of file means it is gone.
		buf := make([]byte, 64)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				done <- "end of stdin"
				return
			}
		}
	}()
	go serveControl(listener, store)
	fmt.Println("mounted")

	reason := <-done
	listener.Close()
	store.flushAll() // a no-op after a crash: the crash emptied it
	unmount(server, mountPoint)
	fmt.Fprintf(os.Stderr, "lazyfs: unmounted %s (%s)\n", mountPoint, reason)
	return nil
}

// unmount tries a clean unmount for a while (a dying broker may still hold files open), then
// detaches the mount, which never fails on a live mount point.
func unmount(server *fuse.Server, mountPoint string) {
	for i := 0; i < 50; i++ {
		if server.Unmount() == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := syscall.Unmount(mountPoint, syscall.MNT_DETACH); err != nil {
		fmt.Fprintf(os.Stderr, "lazyfs: detaching %s: %v\n", mountPoint, err)
	}
}

func serveControl(listener net.Listener, store *volatileStore) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			lines := bufio.NewScanner(conn)
			for lines.Scan() {
				fmt.Fprintln(conn, command(store, strings.Fields(lines.Text())))
			}
		}()
	}
}

func command(store *volatileStore, words []string) string {
	if len(words) == 0 {
		return "error: empty command"
	}
	switch words[0] {
	case "unsynced":
		bytes, files := store.unsynced()
		return fmt.Sprintf("%d %d", bytes, files)
	case "crash":
		keep := int64(0)
		if len(words) > 1 {
			k, err := strconv.ParseInt(words[1], 10, 64)
			if err != nil || k < 0 {
				return "error: crash wants a byte count >= 0"
			}
			keep = k
		}
		return store.crash(keep)
	default:
		return "error: unknown command " + words[0]
	}
}
