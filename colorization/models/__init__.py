"""UNet-family networks. Each model is one module here plus one YAML of the same name in
``conf/model/`` (``model=<name>``). This package imports nothing from the rest of the project."""

from colorization.models.attention_unet import AttentionUNet
from colorization.models.cunet import CUNet
from colorization.models.discriminator import PatchDiscriminator
from colorization.models.eccv16 import ECCV16
from colorization.models.nested_attention_unet import NestedAttentionUNet
from colorization.models.nested_unet import NestedUNet
from colorization.models.r2_attention_unet import R2AttentionUNet
from colorization.models.r2_unet import R2UNet
from colorization.models.rdn import RDN
from colorization.models.res_unet import ResUNet
from colorization.models.siggraph17 import SIGGRAPH17
from colorization.models.unet import UNet

__all__ = [
    "AttentionUNet",
    "CUNet",
    "ECCV16",
    "NestedAttentionUNet",
    "NestedUNet",
    "PatchDiscriminator",
    "R2AttentionUNet",
    "R2UNet",
    "RDN",
    "ResUNet",
    "SIGGRAPH17",
    "UNet",
]
