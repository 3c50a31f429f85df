#!/usr/bin/python3
"""The independent side of the DICOM results test (dicom_results_test.cpp), through pydicom.

fixture SOURCE_DIR OUT_DIR
    Copies the slices of the study with the most slices in SOURCE_DIR (ihd_synth's files, whose
    UIDs are RSNA-style strings) to OUT_DIR/valid with valid UIDs and a filled-in Patient and
    Study header, and makes hostile studies of other studies' slices: OUT_DIR/rsna (left as
    written: "ID_..." UIDs), OUT_DIR/long_uid (a 70-digit StudyInstanceUID), OUT_DIR/long_name
    (a PatientName of 80 characters), OUT_DIR/huge_id (a PatientID of 3000), OUT_DIR/control (a
    PatientID holding a newline). Prints one "study <folder> <StudyInstanceUID>" line each (the
    UID as Python's repr for the hostile ones).
read FILE...
    Prints what an SR or SC file holds, one fact a line, tab-separated:
      file <path> <SOPClassUID> <SOPInstanceUID> <StudyInstanceUID> <SeriesInstanceUID>
      num <code> <value>                  each NUM of the report's top level
      slice <value> <source> <capture>    each key slice: its NUM and the two IMAGE references
      evidence <SOPInstanceUID>           Current Requested Procedure Evidence
      other <SOPInstanceUID>              Pertinent Other Evidence
      sc <instance> <ConversionType> <PhotometricInterpretation> <rows> <columns> <comments>
      patient <PatientID> <PatientName> <StudyDate> <AccessionNumber>
"""
import collections
import os
import sys

import pydicom

ROOT = "1.2.826.0.1.3680043.10.1461"  # a test root; nothing outside this test sees it


def by_study(source_dir):
    studies = collections.defaultdict(list)
    for name in sorted(os.listdir(source_dir)):
        if name.endswith(".dcm"):
            data = pydicom.dcmread(os.path.join(source_dir, name))
            studies[str(data.StudyInstanceUID)].append((name, data))
    return sorted(studies.values(), key=lambda slices: (-len(slices), slices[0][0]))


def save(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    data.file_meta.MediaStorageSOPInstanceUID = data.SOPInstanceUID
    data.save_as(os.path.join(folder, name))


def with_valid_uids(slices, study_number):
    study = f"{ROOT}.{study_number}"
    for k, (name, data) in enumerate(slices):
        data.StudyInstanceUID = study
        data.SeriesInstanceUID = f"{study}.1"
        data.SOPInstanceUID = f"{study}.1.{k + 1}"
    return study


def fixture(source_dir, out_dir):
    studies = by_study(source_dir)
    valid = studies[0]
    uid = with_valid_uids(valid, 1)
    for name, data in valid:
        data.PatientID = "PAT0001"
        data.PatientName = "Doe^Jane"
        data.PatientSex = "F"
        data.PatientBirthDate = "19700101"
        data.StudyDate = "20240102"
        data.StudyTime = "101500"
        data.AccessionNumber = "A1234"
        data.StudyID = "S1"
        data.ReferringPhysicianName = "Smith^John"
        save(os.path.join(out_dir, "valid"), name, data)
    print(f"study\tvalid\t{uid}")
    hostile = ("rsna", "long_uid", "long_name", "huge_id", "control")
    for number, folder in enumerate(hostile, start=2):
        slices = [(name, pydicom.dcmread(os.path.join(source_dir, name)))
                  for name, _ in studies[number - 1]]
        if folder != "rsna":
            with_valid_uids(slices, number)
        for name, data in slices:
            if folder == "long_uid":
                data.StudyInstanceUID = "1" * 70
            elif folder == "long_name":
                data.PatientName = "N" * 80
            elif folder == "huge_id":
                data.PatientID = "P" * 3000
            elif folder == "control":
                data.PatientID = "P\nX"
            save(os.path.join(out_dir, folder), name, data)
        print(f"study\t{folder}\t{slices[0][1].StudyInstanceUID!r}")


def content_items(items, depth=0):
    for item in items:
        yield depth, item
        yield from content_items(item.get("ContentSequence", []), depth + 1)


def code_of(item):
    return item.ConceptNameCodeSequence[0].CodeValue


def read(path):
    data = pydicom.dcmread(path)
    print("\t".join(["file", path, str(data.SOPClassUID), str(data.SOPInstanceUID),
                     str(data.StudyInstanceUID), str(data.SeriesInstanceUID)]))
    print("\t".join(["patient", str(data.PatientID), str(data.PatientName), str(data.StudyDate),
                     str(data.AccessionNumber)]))
    if "ConversionType" in data:
        print("\t".join(["sc", str(data.InstanceNumber), data.ConversionType,
                         data.PhotometricInterpretation, str(data.Rows), str(data.Columns),
                         str(data.ImageComments)]))
        return
    for depth, item in content_items(data.ContentSequence, 1):
        if item.ValueType == "NUM" and depth == 1:
            print("\t".join(["num", code_of(item),
                             str(item.MeasuredValueSequence[0].NumericValue)]))
        if item.ValueType == "NUM" and code_of(item) == "SLICE":
            refs = {code_of(child): child.ReferencedSOPSequence[0].ReferencedSOPInstanceUID
                    for child in item.ContentSequence}
            print("\t".join(["slice", str(item.MeasuredValueSequence[0].NumericValue),
                             refs["SOURCE"], refs["GRAD-CAM"]]))
    for keyword, tag in (("CurrentRequestedProcedureEvidenceSequence", "evidence"),
                         ("PertinentOtherEvidenceSequence", "other")):
        for study in data.get(keyword, []):
            for series in study.ReferencedSeriesSequence:
                for instance in series.ReferencedSOPSequence:
                    print(f"{tag}\t{instance.ReferencedSOPInstanceUID}")


if __name__ == "__main__":
    if sys.argv[1] == "fixture":
        fixture(sys.argv[2], sys.argv[3])
    else:
        for path in sys.argv[2:]:
            read(path)
