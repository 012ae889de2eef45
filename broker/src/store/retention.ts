/**
 * Retention: RocketMQ's CleanCommitLogService, CleanConsumeQueueService and the min-offset
 * correction, run together on one timer.
 *
 * - Expired CommitLog segments (last written more than fileReservedTime hours ago) are deleted at
 *   the deleteWhen hours, or at any hour once the disk is fuller than diskMaxUsedSpaceRatio.
 * - Above diskSpaceCleanForciblyRatio (at most 85%) the oldest segments go even if not expired.
 * - Above diskSpaceWarningLevelRatio (at most 90%) the disk counts as full and puts are refused
 *   until usage is back at or below the forcible ratio (the gap keeps it from flapping).
 * - Segments are deleted oldest first and never the one being written; then ConsumeQueue files
 *   wholly before the new CommitLog start and index files behind it go, and every queue's min
 *   offset moves to its first message still present, so consumers behind it are moved there.
 */
import * as fs from 'node:fs';
import { basename } from 'node:path';
import type { Logger } from '../logging/logger.ts';
import type { CommitLog } from './commit-log.ts';
import type { ConsumeQueueTable } from './consume-queue-table.ts';
import type { IndexService } from './index-service.ts';
import type { MessageStoreConfig } from './message-store-config.ts';

/** Manual deletion (TRIGGER_DELETE_FILES) applies to this many runs, as RocketMQ's. */
const MANUAL_DELETE_RUNS = 20;
const MAX_WARNING_RATIO = 0.9;
const MAX_CLEAN_FORCIBLY_RATIO = 0.85;
const HOUR_MS = 60 * 60 * 1000;

/**
 * Used share of the file system holding `path`, as `df` computes Use% (and RocketMQ's
 * getDiskPartitionSpaceUsedPercent): used / (used + available to unprivileged users), rounded up
 * to a whole percent. -1 when it cannot be read.
 */
export function diskUsedRatio(path: string): number {
  try {
    const s = fs.statfsSync(path);
    const used = (s.blocks - s.bfree) * s.bsize;
    const usable = s.bavail * s.bsize;
    const entire = used + usable;
    if (entire <= 0) return -1;
    return Math.ceil((used * 100) / entire) / 100;
  } catch {
    return -1;
  }
}

/** Whether `now` falls in one of the hours of `deleteWhen` ("04", or "03;04"). */
export function isTimeToDelete(deleteWhen: string, now: number): boolean {
  const hour = new Date(now).getHours();
  return deleteWhen.split(';').some((w) => w.trim() !== '' && Number(w) === hour);
}

export interface RetentionRun {
  /** Highest used ratio of the CommitLog's and the ConsumeQueues' file systems (0..1; -1 unknown). */
  diskRatio: number;
  cleanImmediately: boolean;
  diskFull: boolean;
  deletedSegments: number;
  deletedConsumeQueueFiles: number;
  deletedIndexFiles: number;
  commitLogMinOffset: number;
}

export class RetentionService {
  private readonly config: MessageStoreConfig;
  private readonly commitLog: CommitLog;
  private readonly queues: ConsumeQueueTable;
  private readonly index: IndexService | null;
  private readonly paths: { commitLog: string; consumeQueue: string };
  private readonly log: Logger;
  private manualRuns = 0;
  private lastMinPhyOffset = -1;
  /** Puts are refused while true. */
  diskFull = false;
  lastDiskRatio = -1;

  constructor(
    config: MessageStoreConfig,
    commitLog: CommitLog,
    queues: ConsumeQueueTable,
    index: IndexService | null,
    paths: { commitLog: string; consumeQueue: string },
    log: Logger,
  ) {
    this.config = config;
    this.commitLog = commitLog;
    this.queues = queues;
    this.index = index;
    this.paths = paths;
    this.log = log;
  }

  /** TRIGGER_DELETE_FILES: delete expired segments on the next runs whatever the hour. */
  executeDeleteFilesManually(): void {
    this.manualRuns = MANUAL_DELETE_RUNS;
  }

  /** Why puts are refused, for the response remark. */
  get diskFullRemark(): string {
    const warning = Math.min(this.config.diskSpaceWarningLevelRatio / 100, MAX_WARNING_RATIO);
    const resume = Math.min(this.config.diskSpaceCleanForciblyRatio / 100, MAX_CLEAN_FORCIBLY_RATIO);
    return (
      `service not available now: the broker's disk is full (${pct(this.lastDiskRatio)} used, above ` +
      `diskSpaceWarningLevelRatio ${pct(warning)}); writes resume once usage is at or below ${pct(resume)}`
    );
  }

  /** One run; synchronous, so nothing else touches the files meanwhile. */
  run(now: number = Date.now()): RetentionRun {
    const c = this.config;
    const warning = Math.min(c.diskSpaceWarningLevelRatio / 100, MAX_WARNING_RATIO);
    const forcibly = Math.min(c.diskSpaceCleanForciblyRatio / 100, MAX_CLEAN_FORCIBLY_RATIO);
    const ratios = [diskUsedRatio(this.paths.commitLog), diskUsedRatio(this.paths.consumeQueue)];
    const ratio = Math.max(...ratios);
    this.lastDiskRatio = ratio;
    let cleanImmediately = false;
    if (ratio > warning) {
      if (!this.diskFull) this.log.error(`disk ${pct(ratio)} full (above ${pct(warning)}): refusing puts until it is at or below ${pct(forcibly)}`);
      this.diskFull = true;
      cleanImmediately = true;
    } else if (ratio > forcibly) {
      cleanImmediately = true;
    } else if (this.diskFull) {
      this.log.warn(`disk back at ${pct(ratio)} used: accepting puts again`);
      this.diskFull = false;
    }
    const spaceToDelete = cleanImmediately || ratio < 0 || ratio > c.diskMaxUsedSpaceRatio / 100;
    const timeUp = isTimeToDelete(c.deleteWhen, now);
    const manual = this.manualRuns > 0;
    if (manual) this.manualRuns--;

    let deletedSegments = 0;
    if (timeUp || spaceToDelete || manual) {
      const cleanAtOnce = c.cleanFileForciblyEnable && cleanImmediately;
      const reservedMs = c.fileReservedTime * HOUR_MS;
      const candidates = Math.min(this.commitLog.deletableHeadCount(), c.deleteFileBatchMax);
      const segs = this.commitLog.segments.segments;
      let n = 0;
      while (n < candidates && (cleanAtOnce || lastWritten(segs[n]!.path) + reservedMs <= now)) n++;
      if (n > 0) {
        const names = segs.slice(0, n).map((s) => basename(s.path));
        const why = cleanAtOnce
          ? `to free disk (${pct(ratio)} used)`
          : `expired (last written over ${c.fileReservedTime} h ago; ${timeUp ? `deleteWhen ${c.deleteWhen}` : manual ? 'deletion triggered by an admin' : `disk ${pct(ratio)} used`})`;
        this.commitLog.deleteHeadSegments(n);
        deletedSegments = n;
        this.log.warn(
          `retention deleted ${n} CommitLog segment(s) ${why}: ${names.join(', ')} in ${this.paths.commitLog}; ` +
            `the log now starts at ${this.commitLog.minOffset}`,
        );
      } else if (spaceToDelete && ratio > c.diskMaxUsedSpaceRatio / 100) {
        this.log.warn(`disk ${pct(ratio)} used but no CommitLog segment can be deleted yet`);
      }
    }

    let deletedConsumeQueueFiles = 0;
    let deletedIndexFiles = 0;
    const minPhyOffset = this.commitLog.minOffset;
    if (minPhyOffset > this.lastMinPhyOffset) {
      for (const cq of this.queues.all()) {
        deletedConsumeQueueFiles += cq.deleteExpiredFiles(minPhyOffset);
        cq.correctMinOffset(minPhyOffset);
      }
      this.lastMinPhyOffset = minPhyOffset;
    }
    // Every run: a file skipped while its flush was in flight goes next time.
    if (this.index !== null) deletedIndexFiles = this.index.deleteExpiredFiles(minPhyOffset);
    if (deletedConsumeQueueFiles + deletedIndexFiles > 0) {
      this.log.info(
        `retention deleted ${deletedConsumeQueueFiles} ConsumeQueue file(s) and ${deletedIndexFiles} index file(s) ` +
          `holding only entries before CommitLog offset ${minPhyOffset}`,
      );
    }
    return { diskRatio: ratio, cleanImmediately, diskFull: this.diskFull, deletedSegments, deletedConsumeQueueFiles, deletedIndexFiles, commitLogMinOffset: minPhyOffset };
  }
}

function lastWritten(path: string): number {
  try {
    return fs.statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function pct(ratio: number): string {
  return ratio < 0 ? 'unknown' : `${Math.round(ratio * 100)}%`;
}
