package main

import (
	"fmt"
	"sync"
	"syscall"
)

const pageSize = 4096

// dirtyFile is what the "page cache" holds for one file: pages written since its last fsync and
// its size as the broker sees it. The backing file holds only what was synced.
type dirtyFile struct {
	fd    int              // our own dup of a writable backing descriptor, for sync and tear
	pages map[int64][]byte // page index -> full page image
	seq   map[int64]uint64 // page index -> when it was last written
	size  int64            // logical size
	// Backing bytes at or past zeroFrom read as zeros: a shrink that was not synced yet hides
	// them, so a later grow must not bring them back.
	zeroFrom int64
}

// volatileStore holds every dirty file. One lock: the broker's traffic here is small, and a
// single lock makes "drop at the instant of the crash" exact.
type volatileStore struct {
	mu     sync.Mutex
	files  map[uint64]*dirtyFile
	seq    uint64
	frozen bool
}

func newVolatileStore() *volatileStore {
	return &volatileStore{files: map[uint64]*dirtyFile{}}
}

func backingSize(fd int) (int64, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, err.(syscall.Errno)
	}
	return st.Size, 0
}

// dirty returns the file's entry, creating it from a writable backing descriptor.
func (v *volatileStore) dirty(key uint64, fd int) (*dirtyFile, syscall.Errno) {
	if d := v.files[key]; d != nil {
		return d, 0
	}
	size, errno := backingSize(fd)
	if errno != 0 {
		return nil, errno
	}
	own, err := syscall.Dup(fd)
	if err != nil {
		return nil, err.(syscall.Errno)
	}
	d := &dirtyFile{fd: own, pages: map[int64][]byte{}, seq: map[int64]uint64{}, size: size, zeroFrom: size}
	v.files[key] = d
	return d, 0
}

// readLogical fills buf with the file's content at off as the broker sees it; returns the count.
func (d *dirtyFile) readLogical(buf []byte, off int64) (int, syscall.Errno) {
	if off >= d.size {
		return 0, 0
	}
	n := int64(len(buf))
	if off+n > d.size {
		n = d.size - off
	}
	out := buf[:n]
	for i := range out {
		out[i] = 0
	}
	if off < d.zeroFrom {
		m := n
		if off+m > d.zeroFrom {
			m = d.zeroFrom - off
		}
		if _, err := syscall.Pread(d.fd, out[:m], off); err != nil {
			return 0, err.(syscall.Errno)
		}
	}
	for p := off / pageSize; p*pageSize < off+n; p++ {
		img, ok := d.pages[p]
		if !ok {
			continue
		}
		start := max(off, p*pageSize)
		end := min(off+n, (p+1)*pageSize)
		copy(out[start-off:end-off], img[start-p*pageSize:end-p*pageSize])
	}
	return int(n), 0
}

func (d *dirtyFile) page(p int64) ([]byte, syscall.Errno) {
	if img, ok := d.pages[p]; ok {
		return img, 0
	}
	img := make([]byte, pageSize)
	if _, errno := d.readLogical(img, p*pageSize); errno != 0 {
		return nil, errno
	}
	d.pages[p] = img
	return img, 0
}

func (v *volatileStore) write(key uint64, fd int, data []byte, off int64) syscall.Errno {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen {
		return syscall.EIO
	}
	d, errno := v.dirty(key, fd)
	if errno != 0 {
		return errno
	}
	end := off + int64(len(data))
	v.seq++
	for p := off / pageSize; p*pageSize < end; p++ {
		img, errno := d.page(p)
		if errno != 0 {
			return errno
		}
		start := max(off, p*pageSize)
		stop := min(end, (p+1)*pageSize)
		copy(img[start-p*pageSize:stop-p*pageSize], data[start-off:stop-off])
		d.seq[p] = v.seq
	}
	if end > d.size {
		d.size = end
	}
	return 0
}

func (v *volatileStore) read(key uint64, fd int, buf []byte, off int64) (int, syscall.Errno) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d := v.files[key]; d != nil {
		return d.readLogical(buf, off)
	}
	n, err := syscall.Pread(fd, buf, off)
	if err != nil {
		return 0, err.(syscall.Errno)
	}
	return n, 0
}

func (v *volatileStore) truncate(key uint64, fd int, size int64) syscall.Errno {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen {
		return syscall.EIO
	}
	d, errno := v.dirty(key, fd)
	if errno != 0 {
		return errno
	}
	if size < d.size {
		for p, img := range d.pages {
			if p*pageSize >= size {
				delete(d.pages, p)
				delete(d.seq, p)
			} else if (p+1)*pageSize > size {
				clear(img[size-p*pageSize:])
			}
		}
		d.zeroFrom = min(d.zeroFrom, size)
	}
	d.size = size
	return 0
}

// size reports the logical size when the file has unsynced changes.
func (v *volatileStore) size(key uint64) (int64, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d := v.files[key]; d != nil {
		return d.size, true
	}
	return 0, false
}

// sync makes the file's data and size durable (fsync and fdatasync alike: both must persist a
// size change that reading the data depends on).
func (v *volatileStore) sync(key uint64) syscall.Errno {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen {
		return syscall.EIO
	}
	d := v.files[key]
	if d == nil {
		return 0
	}
	if errno := d.writeBack(); errno != 0 {
		return errno
	}
	syscall.Close(d.fd)
	delete(v.files, key)
	return 0
}

func (d *dirtyFile) writeBack() syscall.Errno {
	if err := syscall.Ftruncate(d.fd, d.zeroFrom); err != nil {
		return err.(syscall.Errno)
	}
	for p, img := range d.pages {
		if p*pageSize >= d.size {
			continue
		}
		n := min(int64(pageSize), d.size-p*pageSize)
		if _, err := syscall.Pwrite(d.fd, img[:n], p*pageSize); err != nil {
			return err.(syscall.Errno)
		}
	}
	if err := syscall.Ftruncate(d.fd, d.size); err != nil {
		return err.(syscall.Errno)
	}
	return 0
}

func (d *dirtyFile) unsyncedBytes() int64 {
	var n int64
	for p := range d.pages {
		if p*pageSize < d.size {
			n += min(int64(pageSize), d.size-p*pageSize)
		}
	}
	return n
}

func (v *volatileStore) unsynced() (bytes int64, files int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, d := range v.files {
		bytes += d.unsyncedBytes()
	}
	return bytes, len(v.files)
}

// crash freezes the filesystem (every later change fails with EIO) and forgets every unsynced
// byte and size change. With keep > 0, the first keep bytes of the page written last reach the
// backing file anyway: a write torn by the crash.
func (v *volatileStore) crash(keep int64) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.frozen = true
	var bytes int64
	var last *dirtyFile
	var lastPage int64
	var lastSeq uint64
	for _, d := range v.files {
		bytes += d.unsyncedBytes()
		for p, s := range d.seq {
			// One write can dirty several pages: the highest of them was written last.
			later := s > lastSeq || (s == lastSeq && d == last && p > lastPage)
			if later && p*pageSize < d.size {
				last, lastPage, lastSeq = d, p, s
			}
		}
	}
	torn := "no page torn"
	if keep > 0 && last != nil {
		n := min(keep, int64(pageSize), last.size-lastPage*pageSize)
		if _, err := syscall.Pwrite(last.fd, last.pages[lastPage][:n], lastPage*pageSize); err != nil {
			torn = fmt.Sprintf("tearing the last page failed: %v", err)
		} else {
			torn = fmt.Sprintf("kept %d bytes of the last unsynced page (at %d)", n, lastPage*pageSize)
		}
	}
	files := len(v.files)
	for key, d := range v.files {
		syscall.Close(d.fd)
		delete(v.files, key)
	}
	return fmt.Sprintf("dropped %d unsynced bytes in %d files, %s", bytes, files, torn)
}

// flushAll is a clean shutdown: the page cache reaches the disk.
func (v *volatileStore) flushAll() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for key, d := range v.files {
		d.writeBack()
		syscall.Close(d.fd)
		delete(v.files, key)
	}
}

func (v *volatileStore) refuseIfFrozen() syscall.Errno {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen {
		return syscall.EIO
	}
	return 0
}
