import type { DeliveryOptions } from '@petrel/core';
import type { SessionTimeouts } from './types.js';

type TimeoutPolicy = Pick<
  DeliveryOptions,
  | 'connect_timeout'
  | 'banner_timeout'
  | 'ehlo_timeout'
  | 'mailfrom_timeout'
  | 'rcptto_timeout'
  | 'data_timeout'
  | 'data_block_timeout'
  | 'body_timeout'
  | 'rset_timeout'
>;

/** Maps the destination policy's timeout options (ms) to SessionTimeouts; QUIT waits as long as RSET. */
export function createSessionTimeouts(policy: TimeoutPolicy): SessionTimeouts {
  return {
    connect: policy.connect_timeout,
    banner: policy.banner_timeout,
    ehlo: policy.ehlo_timeout,
    mailfrom: policy.mailfrom_timeout,
    rcptto: policy.rcptto_timeout,
    data: policy.data_timeout,
    dataBlock: policy.data_block_timeout,
    body: policy.body_timeout,
    rset: policy.rset_timeout,
    quit: policy.rset_timeout,
  };
}
