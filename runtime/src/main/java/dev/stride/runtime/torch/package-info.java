/**
 * Reading {@code torch.save(model.state_dict(), path)} checkpoints without Python: {@link
 * dev.stride.runtime.torch.TorchCheckpoint} opens the zip archive and rebuilds the tensors with a
 * strict pickle reader that builds only a state_dict's contents and refuses every other global.
 *
 * <p>Most callers use {@link dev.stride.runtime.WeightsFile}, which chooses between this and
 * safetensors by the file's content.
 */
package dev.stride.runtime.torch;
