/**
 * @petrel/bounce: SMTP reply classification in Momentum's bounce classes
 * (`smtp_error_classify`, rules as data in config/bounce-rules.toml plus operator override files)
 * and RFC 3464 DSN rendering. A library: no bus, no state beyond a classifier's rules.
 *
 * @packageDocumentation
 */
export {
  BOUNCE_CATEGORIES,
  BUILTIN_CLASSES,
  ClassRegistry,
  UNDETERMINED,
  type BounceCategory,
  type BounceClass,
} from './classes.js';
export { bounceConfigExtensions, parseBounceClasses } from './config/bounce-classes.js';
export { Classifier, type Classification, type ClassifierOptions } from './classifier.js';
export {
  CORPUS_V1_FILE,
  corpusPart,
  decodeReplyLine,
  loadCorpus,
  parseReplyLines,
  scoreCorpus,
  type CorpusMiss,
  type CorpusPart,
  type CorpusRow,
  type PartScore,
  type ReplyLine,
  type Tally,
} from './corpus.js';
export { REPORT_END, REPORT_START, renderCorpusReport, replaceReport, sourceKey } from './corpus-report.js';
export { MAX_REPLY_TEXT, normalizeReply, type ReplyStage, type ReplyText } from './reply-text.js';
export {
  DEFAULT_RULES_FILE,
  REPLY_KINDS,
  replyKind,
  type ReplyKind,
  loadRuleFile,
  overrideMatcher,
  parseOverrides,
  parseRulesToml,
  type Rule,
} from './rules.js';
export {
  addressField,
  dsnStatus,
  globalAddressField,
  headerBlock,
  inlineFor,
  isEightBit,
  renderDsn,
  rfc5322Date,
  type DsnAction,
  type DsnInput,
  type DsnRecipient,
  type InlineOriginal,
} from './dsn.js';
export {
  AUTO_REPLY_CLASS,
  parseInboundReport,
  type InboundReport,
  type ReportContext,
  type ReportFormat,
  type ReportKind,
  type ReportRecipient,
} from './inbound/report.js';
export type { FeedbackReport } from './inbound/arf.js';
