"""Using a trained network on a user's images, outside training and without Lightning, for any
task: what a network needs around it (:mod:`.spec`), the network from a checkpoint or an ONNX
file as one function (:mod:`.network`), photos at the working size the network was validated at
(:mod:`.working_size`), whole photos in overlapping tiles (:mod:`.tiling`, :mod:`.restore`) and
files matched to inputs (:mod:`.companions`). What turns a photo into a task's output is the
task's own (``colorization/tasks/<name>/``, named by its plugin)."""
