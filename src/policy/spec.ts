import { z } from 'zod';
import { ChannelOrder } from '../image/channels';

/** A policy to run: a scripted baseline's name, a policy folder/manifest, or a remote server. */
export const PolicySpec = z.union([
  z.string().min(1),
  z.strictObject({ manifest: z.string().min(1), name: z.string().optional() }),
  z.strictObject({
    remote: z.string().url(),
    name: z.string().min(1),
    variant: z.string().default('remote'),
    timeoutMs: z.number().int().positive().default(2000),
    retries: z.number().int().min(0).default(1),
    instructionFirstActionZero: z.boolean().default(true),
    backoffMs: z.number().int().min(0).optional(),
    /** Resize frames to [h, w] before JPEG encoding (the server's expected size). */
    imageSize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    channelOrder: ChannelOrder.optional(),
    budgetMs: z.number().positive().optional(),
  }),
]);
export type PolicySpec = z.infer<typeof PolicySpec>;
