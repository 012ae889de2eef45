package main

import (
	"context"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// lazyNode is go-fuse's loopback node with file data and size routed through the volatile store.
// Namespace operations (create, mkdir, rename, unlink, rmdir) go to the backing directory at once,
// so they are durable immediately: a lost create/rename/unlink is not modelled, and neither is a
// missing directory fsync (directory fsync succeeds and does nothing).
type lazyNode struct {
	fs.LoopbackNode
	store *volatileStore
}

var (
	_ fs.NodeOpener    = (*lazyNode)(nil)
	_ fs.NodeCreater   = (*lazyNode)(nil)
	_ fs.NodeGetattrer = (*lazyNode)(nil)
	_ fs.NodeSetattrer = (*lazyNode)(nil)
	_ fs.NodeFsyncer   = (*lazyNode)(nil)
	_ fs.NodeStatxer   = (*lazyNode)(nil)
)

func (n *lazyNode) key() uint64 { return n.StableAttr().Ino }

// writableFlags opens the backing file read-write even for write-only callers (a page is read
// before it is partly overwritten) and never lets O_TRUNC reach the backing file.
func writableFlags(flags uint32) uint32 {
	flags &^= syscall.O_TRUNC
	if flags&syscall.O_ACCMODE == syscall.O_WRONLY {
		flags = flags&^syscall.O_ACCMODE | syscall.O_RDWR
	}
	return flags
}

func (n *lazyNode) wrap(fh fs.FileHandle, key uint64, flags uint32) (fs.FileHandle, syscall.Errno) {
	lf := fh.(*fs.LoopbackFile)
	fd, _ := lf.PassthroughFd()
	f := &lazyFile{LoopbackFile: lf, fd: fd, key: key, store: n.store}
	if flags&syscall.O_TRUNC != 0 {
		if errno := n.store.truncate(key, fd, 0); errno != 0 {
			lf.Release(context.Background())
			return nil, errno
		}
	}
	return f, 0
}

func (n *lazyNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		if errno := n.store.refuseIfFrozen(); errno != 0 {
			return nil, 0, errno
		}
	}
	fh, fuseFlags, errno := n.LoopbackNode.Open(ctx, writableFlags(flags))
	if errno != 0 {
		return nil, 0, errno
	}
	f, errno := n.wrap(fh, n.key(), flags)
	return f, fuseFlags, errno
}

func (n *lazyNode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if errno := n.store.refuseIfFrozen(); errno != 0 {
		return nil, nil, 0, errno
	}
	ch, fh, fuseFlags, errno := n.LoopbackNode.Create(ctx, name, writableFlags(flags), mode, out)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	f, errno := n.wrap(fh, ch.StableAttr().Ino, flags)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	if size, ok := n.store.size(ch.StableAttr().Ino); ok {
		out.Size = uint64(size)
	}
	return ch, f, fuseFlags, 0
}

func (n *lazyNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if errno := n.LoopbackNode.Getattr(ctx, f, out); errno != 0 {
		return errno
	}
	if size, ok := n.store.size(n.key()); ok {
		out.Size = uint64(size)
		out.Blocks = (uint64(size) + 511) / 512
	}
	return 0
}

func (n *lazyNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if size, ok := in.GetSize(); ok {
		if errno := n.truncate(f, int64(size)); errno != 0 {
			return errno
		}
		in.Valid &^= fuse.FATTR_SIZE
	}
	// Mode, owner and times are passed through (durable at once, like the namespace).
	if lf, ok := f.(*lazyFile); ok {
		f = lf.LoopbackFile
	}
	if errno := n.LoopbackNode.Setattr(ctx, f, in, out); errno != 0 {
		return errno
	}
	return n.Getattr(ctx, f, out)
}

func (n *lazyNode) truncate(f fs.FileHandle, size int64) syscall.Errno {
	if lf, ok := f.(*lazyFile); ok {
		return n.store.truncate(n.key(), lf.fd, size)
	}
	// truncate(2) by path: borrow a descriptor of the backing file.
	fd, err := syscall.Open(filepath.Join(n.RootData.Path, n.Path(n.Root())), syscall.O_RDWR, 0)
	if err != nil {
		return err.(syscall.Errno)
	}
	defer syscall.Close(fd)
	return n.store.truncate(n.key(), fd, size)
}

// Fsync without a handle (and directory fsync): files sync their data; directories have nothing volatile.
func (n *lazyNode) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	if lf, ok := f.(*lazyFile); ok {
		return lf.Fsync(ctx, flags)
	}
	return n.store.sync(n.key())
}

// lazyFile is an open file: reads and writes see the volatile store, fsync persists it.
type lazyFile struct {
	*fs.LoopbackFile
	fd    int
	key   uint64
	store *volatileStore
}

var (
	_ fs.FileReader    = (*lazyFile)(nil)
	_ fs.FileWriter    = (*lazyFile)(nil)
	_ fs.FileFsyncer   = (*lazyFile)(nil)
	_ fs.FileGetattrer = (*lazyFile)(nil)
	_ fs.FileAllocater = (*lazyFile)(nil)
	_ fs.FileStatxer   = (*lazyFile)(nil)
	_ fs.FileLseeker   = (*lazyFile)(nil)
)

func (f *lazyFile) Read(ctx context.Context, buf []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, errno := f.store.read(f.key, f.fd, buf, off)
	if errno != 0 {
		return nil, errno
	}
	return fuse.ReadResultData(buf[:n]), 0
}

func (f *lazyFile) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if errno := f.store.write(f.key, f.fd, data, off); errno != 0 {
		return 0, errno
	}
	return uint32(len(data)), 0
}

func (f *lazyFile) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return f.store.sync(f.key)
}

func (f *lazyFile) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	if errno := f.LoopbackFile.Getattr(ctx, out); errno != 0 {
		return errno
	}
	if size, ok := f.store.size(f.key); ok {
		out.Size = uint64(size)
		out.Blocks = (uint64(size) + 511) / 512
	}
	return 0
}

// Allocate is refused: fallocate would change the backing file behind the volatile store's back.
func (f *lazyFile) Allocate(ctx context.Context, off, size uint64, mode uint32) syscall.Errno {
	return syscall.EOPNOTSUPP
}

// PassthroughFd says no: kernel passthrough would send reads and writes straight to the backing file.
func (f *lazyFile) PassthroughFd() (int, bool) {
	return -1, false
}

// Statx (newer kernels ask it instead of getattr) reports the logical size, like Getattr.
func (n *lazyNode) Statx(ctx context.Context, f fs.FileHandle, flags, mask uint32, out *fuse.StatxOut) syscall.Errno {
	if errno := n.LoopbackNode.Statx(ctx, f, flags, mask, out); errno != 0 {
		return errno
	}
	overlayStatxSize(n.store, n.key(), out)
	return 0
}

func (f *lazyFile) Statx(ctx context.Context, flags, mask uint32, out *fuse.StatxOut) syscall.Errno {
	if errno := f.LoopbackFile.Statx(ctx, flags, mask, out); errno != 0 {
		return errno
	}
	overlayStatxSize(f.store, f.key, out)
	return 0
}

func overlayStatxSize(store *volatileStore, key uint64, out *fuse.StatxOut) {
	if size, ok := store.size(key); ok {
		out.Size = uint64(size)
		out.Blocks = (uint64(size) + 511) / 512
	}
}

// Lseek is left to the kernel (ENOSYS makes it treat the whole file as data): SEEK_DATA/SEEK_HOLE on
// the backing file would not see unsynced writes. (copy_file_range is refused already: go-fuse's
// loopback copies only between its own file handles, and falls back to read/write for ours.)
func (f *lazyFile) Lseek(ctx context.Context, off uint64, whence uint32) (uint64, syscall.Errno) {
	return 0, syscall.ENOSYS
}
