"""The recipe's stages, in the order they run (each reads only what stages before it wrote)."""

from .bank_stages import BANK_BUILD, BANK_EXTEND, BANK_FACES, BANK_REFINE
from .data_stages import DETECTOR, FACES, SUBSET
from .judge_stages import DLIB_RECOGNIZER, FACENET, RECOGNIZERS
from .model_stages import EVALUATE, EXPORT
from .publish import MANIFEST
from .training_stages import INPAINTER, SEGMENTER

STAGES = [SUBSET, DETECTOR, FACES, SEGMENTER, INPAINTER, BANK_FACES, BANK_BUILD, BANK_REFINE, BANK_EXTEND, FACENET,
          DLIB_RECOGNIZER, RECOGNIZERS, EXPORT, EVALUATE, MANIFEST]
