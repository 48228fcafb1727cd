/** Camera frame → what a policy server is sent: resized, in its channel order, as JPEG/PNG or raw pixels. */
import jpeg from 'jpeg-js';
import { inChannelOrder, type ChannelOrder } from '../../image/channels';
import type { Frame, SizeHW } from '../../image/frame';
import { encodePng } from '../../image/png';
import { resizeFrame } from '../../image/resize';

export interface FramePrep {
  /** [height, width]; default: the frame as it is. */
  size?: SizeHW;
  channelOrder: ChannelOrder;
}

export function prepareFrame(frame: Frame, p: FramePrep): Frame {
  const n = frame.width * frame.height * 3;
  // A renderer may hand out a larger, reused buffer: the frame is its first w × h × 3 bytes.
  if (frame.data.length > n) frame = { width: frame.width, height: frame.height, data: frame.data.subarray(0, n) };
  const sized = p.size && (p.size[0] !== frame.height || p.size[1] !== frame.width) ? resizeFrame(frame, p.size) : frame;
  return inChannelOrder(sized, p.channelOrder);
}

/** JPEG (the lab's robot client: quality 85) or PNG bytes of an RGB8 frame. */
export function encodeImage(frame: Frame, format: 'jpeg' | 'png', quality: number): Buffer {
  if (format === 'png') return encodePng(frame);
  const { width, height, data } = frame;
  const rgba = Buffer.alloc(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    rgba[i * 4] = data[j] as number;
    rgba[i * 4 + 1] = data[j + 1] as number;
    rgba[i * 4 + 2] = data[j + 2] as number;
    rgba[i * 4 + 3] = 255;
  }
  return jpeg.encode({ data: rgba, width, height }, quality).data;
}
