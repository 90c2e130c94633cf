package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports (the kernel exports
// jiffies scaled to it), and reading it needs sysconf(3), hence cgo.
const clockTicks = 100

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	at  time.Time
	cpu time.Duration // utime + stime, every thread
	rss int64         // bytes resident (VmRSS)
	hwm int64         // peak resident bytes (VmHWM)
}

// readProc samples /proc/<pid>. pid 0 is this process.
func readProc(pid int) (procSample, error) {
	dir := "/proc/self"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid)
	}
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return s, fmt.Errorf("read %s/stat: %w", dir, err)
	}
	if s.cpu, err = parseStatCPU(stat); err != nil {
		return s, fmt.Errorf("%s/stat: %w", dir, err)
	}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return s, fmt.Errorf("read %s/status: %w", dir, err)
	}
	s.rss, s.hwm = parseStatusMem(status)
	return s, nil
}

// parseStatCPU returns utime+stime from a /proc/<pid>/stat line. The command
// name (field 2) is parenthesised and may hold spaces and parentheses, so
// fields are counted from the last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command field")
	}
	// After ") ": field 3 (state) is index 0, so utime (14) is 11, stime (15) is 12.
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields, want at least 15", len(f)+2)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("utime %q / stime %q are not numbers", f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// parseStatusMem returns VmRSS and VmHWM in bytes from /proc/<pid>/status.
func parseStatusMem(status []byte) (rss, hwm int64) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &hwm
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 2 {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				*dst = kb << 10
			}
		}
	}
	return rss, hwm
}

// ProcUsage is a process's resource use over a measured window.
type ProcUsage struct {
	// Cores is CPU time over wall time: 1.0 is one core busy throughout.
	Cores float64 `json:"cores"`
	// RSSBytes is resident memory at the end of the window.
	RSSBytes int64 `json:"rss_bytes"`
	// PeakRSSBytes is the process's high-water mark so far.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
}

// usage is the CPU and memory between two samples of one process.
func usage(a, b procSample) ProcUsage {
	u := ProcUsage{RSSBytes: b.rss, PeakRSSBytes: b.hwm}
	if wall := b.at.Sub(a.at); wall > 0 {
		u.Cores = float64(b.cpu-a.cpu) / float64(wall)
	}
	return u
}

// procWatch samples a set of processes at the start and end of a window.
type procWatch struct {
	pids   []int
	before []procSample
	read   []bool
}

func watchProcs(pids []int) *procWatch {
	w := &procWatch{pids: pids, before: make([]procSample, len(pids)), read: make([]bool, len(pids))}
	for i, pid := range pids {
		var err error
		w.before[i], err = readProc(pid)
		w.read[i] = err == nil
	}
	return w
}

// stop returns the summed usage of the watched processes (CPU and memory
// add up across the nodes of a cluster). ok is false when nothing could be
// read (no /proc, or a remote target).
func (w *procWatch) stop() (u ProcUsage, ok bool) {
	for i, pid := range w.pids {
		after, err := readProc(pid)
		if err != nil || !w.read[i] {
			continue
		}
		one := usage(w.before[i], after)
		u.Cores += one.Cores
		u.RSSBytes += one.RSSBytes
		u.PeakRSSBytes += one.PeakRSSBytes
		ok = true
	}
	return u, ok
}

// dbWatch measures a local database server that is not ours to start
// (PostgreSQL): every process with its command name, plus what the parent
// reaped from exited children (cutime, cstime), so backends that come and
// go inside the window still count.
type dbWatch struct {
	comm   string
	before map[int]time.Duration
	reaped time.Duration
	at     time.Time
}

func watchDB(comm string) *dbWatch {
	w := &dbWatch{comm: comm, at: time.Now()}
	w.before, w.reaped = scanComm(comm)
	return w
}

// stop returns the server's CPU over the window in cores; ok is false when
// no such process runs here (a remote database).
func (w *dbWatch) stop() (cores float64, ok bool) {
	after, reaped := scanComm(w.comm)
	if len(after) == 0 {
		return 0, false
	}
	var cpu time.Duration
	for pid, c := range after {
		cpu += c - w.before[pid] // a new process counts from zero
	}
	cpu += reaped - w.reaped
	if wall := time.Since(w.at); wall > 0 && cpu > 0 {
		return float64(cpu) / float64(wall), true
	}
	return 0, true
}

// scanComm reads the CPU time of every process named comm, and the
// children's CPU reaped by the oldest of them (the server's parent).
func scanComm(comm string) (map[int]time.Duration, time.Duration) {
	out := map[int]time.Duration{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out, 0
	}
	var reaped time.Duration
	parent := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		name, err := os.ReadFile(dir + "/comm")
		if err != nil || strings.TrimSpace(string(name)) != comm {
			continue
		}
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		cpu, err := parseStatCPU(stat)
		if err != nil {
			continue
		}
		out[pid] = cpu
		if parent == 0 || pid < parent {
			parent = pid
			reaped, _ = parseStatChildrenCPU(stat)
		}
	}
	return out, reaped
}

// parseStatChildrenCPU returns cutime+cstime (fields 16 and 17): the CPU of
// the process's waited-for children.
func parseStatChildrenCPU(stat []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command field")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 15 {
		return 0, fmt.Errorf("short stat line")
	}
	cu, err1 := strconv.ParseInt(f[13], 10, 64)
	cs, err2 := strconv.ParseInt(f[14], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cutime %q / cstime %q are not numbers", f[13], f[14])
	}
	return time.Duration(cu+cs) * time.Second / clockTicks, nil
}
