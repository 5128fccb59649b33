"""Types for API schemas that mask personal data on the way out."""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer

from .masking import mask_address, mask_email, mask_id_number, mask_name, mask_phone

MaskedPhone = Annotated[str, PlainSerializer(mask_phone, return_type=str)]
MaskedIdNumber = Annotated[str, PlainSerializer(mask_id_number, return_type=str)]
MaskedAddress = Annotated[str, PlainSerializer(mask_address, return_type=str)]
MaskedName = Annotated[str, PlainSerializer(mask_name, return_type=str)]
MaskedEmail = Annotated[str, PlainSerializer(mask_email, return_type=str)]
